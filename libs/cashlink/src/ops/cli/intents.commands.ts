import { userInfo } from 'node:os';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CASHLINK_INTENT_STATES, type CashlinkIntentState } from '../../idempotency/cashlink-intent.entity';
import { CashlinkIntentNotFoundError } from '../../idempotency/cashlink-reconciliation.error';
import type { CashlinkResolutionInput } from '../../idempotency/cashlink-reconciliation.types';
import { CashlinkOpsService } from '../cashlink-ops.service';
import { CliUsageError, parseCount, print, printJson, table } from './cli-output';

interface ListOptions {
  state?: CashlinkIntentState;
  limit?: number;
  json?: boolean;
}

function parseState(value: string): CashlinkIntentState {
  if (!CASHLINK_INTENT_STATES.includes(value as CashlinkIntentState)) {
    throw new CliUsageError(`--state must be one of ${CASHLINK_INTENT_STATES.join(', ')}`);
  }
  return value as CashlinkIntentState;
}

@SubCommand({ name: 'count', description: 'Intents by state' })
export class IntentsCountCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run(_args: string[], options: { json?: boolean } = {}): Promise<void> {
    const { intents } = await this.ops.counts();
    if (options.json) return printJson(intents);
    print(table(['state', 'count'], Object.entries(intents)));
  }

  @Option({ flags: '--json', description: 'JSON output' })
  parseJson(): boolean {
    return true;
  }
}

@SubCommand({ name: 'list', description: 'Intents oldest first (no personal data)' })
export class IntentsListCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run(_args: string[], options: ListOptions = {}): Promise<void> {
    const rows = await this.ops.listIntents({ state: options.state, limit: options.limit ?? 50 });
    if (options.json) return printJson(rows);
    if (rows.length === 0) return print('No intents.');
    print(
      table(
        ['key', 'operation', 'state', 'attempts', 'created', 'reason'],
        rows.map((r) => [r.key, r.operation, r.state, r.attempts, r.createdAt.toISOString(), r.reason]),
      ),
    );
  }

  @Option({ flags: '--state <state>', description: `One of ${CASHLINK_INTENT_STATES.join(', ')}` })
  parseState(value: string): CashlinkIntentState {
    return parseState(value);
  }

  @Option({ flags: '--limit <n>', description: 'At most n rows (default 50)' })
  parseLimit(value: string): number {
    return parseCount(value, '--limit');
  }

  @Option({ flags: '--json', description: 'JSON output' })
  parseJson(): boolean {
    return true;
  }
}

@SubCommand({
  name: 'show',
  arguments: '<key>',
  description: 'One intent (personal data masked unless --reveal)',
})
export class IntentsShowCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run([key]: string[], options: { reveal?: boolean } = {}): Promise<void> {
    const intent = await this.ops.showIntent(key!, options.reveal === true);
    if (!intent) throw new CashlinkIntentNotFoundError(key!);
    printJson(intent);
  }

  @Option({ flags: '--reveal', description: 'Show personal data (names, addresses, IBAN, ...)' })
  parseReveal(): boolean {
    return true;
  }
}

@SubCommand({
  name: 'reconcile',
  arguments: '<key>',
  description: 'Look at Cashlink for objects an expired / needs_review intent may have created',
})
export class IntentsReconcileCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run(
    [key]: string[],
    options: { reveal?: boolean; maxPages?: number; json?: boolean } = {},
  ): Promise<void> {
    const found = await this.ops.reconcile(key!, options.reveal === true, options.maxPages);
    if (options.json) return printJson(found);
    print(`Intent ${found.key} (${found.operation}, ${found.state})`);
    print(
      `Window: ${found.window.from.toISOString()} .. ${found.window.to.toISOString()}; lookup: ${found.lookup}; ${found.scanned} objects read`,
    );
    if (found.note) print(`Note: ${found.note}`);
    if (found.candidates.length === 0) {
      print('No candidate found.');
    } else {
      print(
        table(
          ['candidate', 'created', 'matched'],
          found.candidates.map((c) => [c.id, c.createdAt, c.matched.join(',')]),
        ),
      );
    }
    print(
      `Resolve with: intents resolve ${found.key} --action created --object <id> | --action send_again | --action abandoned  --actor <you> --reason <why>`,
    );
  }

  @Option({ flags: '--reveal', description: 'Show the candidates personal data' })
  parseReveal(): boolean {
    return true;
  }

  @Option({ flags: '--max-pages <n>', description: 'Pages of 100 read at most, newest first (default 10)' })
  parseMaxPages(value: string): number {
    return parseCount(value, '--max-pages');
  }

  @Option({ flags: '--json', description: 'JSON output' })
  parseJson(): boolean {
    return true;
  }
}

interface ResolveOptions {
  action?: string;
  object?: string;
  newKey?: string;
  actor?: string;
  reason?: string;
  json?: boolean;
}

@SubCommand({
  name: 'resolve',
  arguments: '<key>',
  description: 'Record and carry out a decision: created (with --object), send_again or abandoned',
})
export class IntentsResolveCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run([key]: string[], options: ResolveOptions = {}): Promise<void> {
    const actor = options.actor ?? userInfo().username;
    const reason = options.reason ?? '';
    let input: CashlinkResolutionInput;
    switch (options.action) {
      case 'created':
        if (!options.object) throw new CliUsageError('--action created needs --object <id>');
        input = { action: 'created', objectId: options.object, actor, reason };
        break;
      case 'send_again':
        input = {
          action: 'send_again',
          actor,
          reason,
          ...(options.newKey ? { newKey: options.newKey } : {}),
        };
        break;
      case 'abandoned':
        input = { action: 'abandoned', actor, reason };
        break;
      default:
        throw new CliUsageError('--action must be created, send_again or abandoned');
    }
    if (reason.trim() === '') throw new CliUsageError('--reason <why> is required');
    const result = await this.ops.resolve(key!, input);
    if (options.json) return printJson(result);
    print(
      `Intent ${key} resolved as ${result.resolution.action} by ${result.resolution.actor}: now ${result.state}`,
    );
    if (result.newIntent) {
      print(
        `Sent again as ${result.newIntent.key}: ${result.newIntent.state}${result.newIntent.error ? ` (${result.newIntent.error})` : ''}`,
      );
    }
  }

  @Option({ flags: '--action <action>', description: 'created | send_again | abandoned', required: true })
  parseAction(value: string): string {
    return value;
  }

  @Option({ flags: '--object <id>', description: 'For created: the id of the object at Cashlink' })
  parseObject(value: string): string {
    return value;
  }

  @Option({ flags: '--new-key <key>', description: 'For send_again: the new key (default <key>-again)' })
  parseNewKey(value: string): string {
    return value;
  }

  @Option({ flags: '--actor <name>', description: 'Who decides (default: the OS user)' })
  parseActor(value: string): string {
    return value;
  }

  @Option({ flags: '--reason <why>', description: 'Why (recorded with the resolution)' })
  parseReason(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'JSON output' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'intents',
  description: 'Durable writes: count, list, show, reconcile, resolve',
  subCommands: [
    IntentsCountCommand,
    IntentsListCommand,
    IntentsShowCommand,
    IntentsReconcileCommand,
    IntentsResolveCommand,
  ],
})
export class IntentsCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
