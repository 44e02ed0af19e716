import { CashlinkConfigError } from './errors/cashlink.error';
import type { CashlinkModuleOptions, ResolvedCashlinkOptions } from './cashlink-module-options.interface';
import { EVENTS_OPTION_NAMES, resolveEventsOptions } from './event-log/event-log.options';
import { IDEMPOTENCY_OPTION_NAMES, resolveIdempotencyOptions } from './idempotency/idempotency.options';
import {
  CLIENT_OPTION_NAMES,
  resolveClientOptions,
  type ResolvedClientOptions,
} from './options/client-options';
import { checkUnknownOptions, type OptionSections } from './options/option-checks';
import { PROTECTION_OPTION_NAMES, resolveProtectionOptions } from './protection/protection.options';
import { resolveWebhooksOptions, WEBHOOKS_OPTION_NAMES } from './webhooks/webhooks.options';

export { CASHLINK_OPTION_DEFAULTS } from './options/client-options';

/** Every option name of the module, by section: the client core's and each feature's. */
const MODULE_OPTION_NAMES: OptionSections = {
  ...CLIENT_OPTION_NAMES,
  '': [...CLIENT_OPTION_NAMES[''], 'idempotency', 'webhooks', 'events', 'encryption', 'personalData'],
  ...IDEMPOTENCY_OPTION_NAMES,
  ...WEBHOOKS_OPTION_NAMES,
  ...EVENTS_OPTION_NAMES,
  ...PROTECTION_OPTION_NAMES,
};

/**
 * Merges the defaults into `input` and validates everything at once: the client core and each
 * feature resolve their own section with the same checks (`options/option-checks.ts`). Throws one
 * `CashlinkConfigError` that lists every invalid option with how to fix it. Values of secrets never
 * appear in a message.
 */
export function resolveCashlinkOptions(input: CashlinkModuleOptions): ResolvedCashlinkOptions {
  const problems: string[] = [];
  if (input === null || typeof input !== 'object') {
    throw new CashlinkConfigError([
      'options: expected an object (did the forRootAsync factory return nothing?)',
    ]);
  }
  const o = input as Partial<CashlinkModuleOptions> & Record<string, unknown>;
  checkUnknownOptions(problems, '', o, MODULE_OPTION_NAMES);
  const client = resolveClientOptions(o, problems, MODULE_OPTION_NAMES);
  const idempotency = resolveIdempotencyOptions(o.idempotency, problems, MODULE_OPTION_NAMES);
  const webhooks = resolveWebhooksOptions(o.webhooks, problems, MODULE_OPTION_NAMES);
  const events = resolveEventsOptions(o.events, problems, MODULE_OPTION_NAMES);
  const protection = resolveProtectionOptions(o.encryption, o.personalData, problems, MODULE_OPTION_NAMES);
  if (problems.length > 0) throw new CashlinkConfigError(problems);

  const resolved = { ...client, idempotency, webhooks, events, protection } as ResolvedCashlinkOptions;
  Object.defineProperty(resolved, 'clientSecret', { value: client.clientSecret, enumerable: false });
  return Object.freeze(resolved);
}

/** The client core's slice of the resolved options (what `CASHLINK_CLIENT_OPTIONS` provides). */
export function clientOptionsOf(options: ResolvedCashlinkOptions): ResolvedClientOptions {
  const {
    idempotency: _idempotency,
    webhooks: _webhooks,
    events: _events,
    protection: _protection,
    ...client
  } = options;
  Object.defineProperty(client, 'clientSecret', { value: options.clientSecret, enumerable: false });
  return Object.freeze(client);
}
