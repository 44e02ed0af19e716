import { isAbsolute, resolve } from 'node:path';
import type { ConfigService } from '@nestjs/config';

/** Where the demo's Cashlink is: the in-process emulator, or a real Cashlink environment. */
export type CashlinkTarget =
  | { mode: 'emulator'; port: number }
  | {
      mode: 'remote';
      environment?: 'demo' | 'production';
      baseUrl?: string;
      tokenUrl?: string;
      clientId: string;
      clientSecret: string;
    };

/** How Cashlink authenticates at the demo's webhook receiver. */
export type WebhookAuthSetting =
  | { type: 'bearer'; tokens: string[] }
  | { type: 'oauth2'; clientId: string; clientSecret: string }
  | { type: 'none' };

/** Every setting of the demo, read once from the environment (and `.env`) through `ConfigService`. */
export interface DemoSettings {
  host: string;
  port: number;
  /** Folder of the SQLite file (ignored with DATABASE_URL). */
  dataDir: string;
  databaseUrl?: string;
  cashlink: CashlinkTarget;
  webhookPath: string;
  webhookAuth: WebhookAuthSetting;
  /** The URL Cashlink should call, when the app sits behind a proxy (printed for the onboarding form). */
  publicUrl?: string;
  /** `CASHLINK_ENCRYPTION_KEYS` and `CASHLINK_ENCRYPTION_ACTIVE_KEY_ID` (see demo-encryption.ts). */
  encryption: { keys?: string; activeKeyId?: string };
}

export const WEBHOOK_PATH = 'cashlink/webhooks';

const FALSE = /^(0|false|no|off)$/i;

/** `npm start -- --no-scenario` or `DEMO_SCENARIO=false` only serves. */
export function scenarioEnabled(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  if (argv.includes('--no-scenario')) return false;
  if (argv.includes('--scenario')) return true;
  return !FALSE.test(env.DEMO_SCENARIO ?? '');
}

/**
 * Reads the settings. Without `CASHLINK_CLIENT_ID` the demo runs the emulator in-process; with it, every
 * Cashlink setting must be given (a half-configured real environment fails start-up with the list).
 */
export function readDemoSettings(config: ConfigService): DemoSettings {
  const get = (name: string): string | undefined => {
    const value = config.get<string>(name);
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const problems: string[] = [];
  const port = Number(get('PORT') ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    problems.push('PORT: a port number (0 = any free port)');

  let cashlink: CashlinkTarget;
  const clientId = get('CASHLINK_CLIENT_ID');
  if (clientId === undefined) {
    cashlink = { mode: 'emulator', port: Number(get('EMULATOR_PORT') ?? 0) };
  } else {
    const environment = get('CASHLINK_ENVIRONMENT');
    const baseUrl = get('CASHLINK_BASE_URL');
    const tokenUrl = get('CASHLINK_TOKEN_URL');
    const clientSecret = get('CASHLINK_CLIENT_SECRET');
    if (environment !== undefined && environment !== 'demo' && environment !== 'production') {
      problems.push(`CASHLINK_ENVIRONMENT: 'demo' or 'production'`);
    }
    if (environment === undefined && (baseUrl === undefined || tokenUrl === undefined)) {
      problems.push('CASHLINK_ENVIRONMENT=demo, or both CASHLINK_BASE_URL and CASHLINK_TOKEN_URL');
    }
    if (clientSecret === undefined) problems.push('CASHLINK_CLIENT_SECRET: required with CASHLINK_CLIENT_ID');
    cashlink = {
      mode: 'remote',
      environment: environment as 'demo' | 'production' | undefined,
      baseUrl,
      tokenUrl,
      clientId,
      clientSecret: clientSecret ?? '',
    };
  }

  let webhookAuth: WebhookAuthSetting = { type: 'none' };
  // Several comma-separated tokens are accepted at once, to rotate without downtime.
  const tokens = get('CASHLINK_WEBHOOK_TOKENS') ?? get('CASHLINK_WEBHOOK_TOKEN');
  const webhookClientId = get('CASHLINK_WEBHOOK_CLIENT_ID');
  if (tokens !== undefined) {
    webhookAuth = { type: 'bearer', tokens: tokens.split(',').map((t) => t.trim()) };
  } else if (webhookClientId !== undefined) {
    const secret = get('CASHLINK_WEBHOOK_CLIENT_SECRET');
    if (secret === undefined)
      problems.push('CASHLINK_WEBHOOK_CLIENT_SECRET: required with CASHLINK_WEBHOOK_CLIENT_ID');
    webhookAuth = { type: 'oauth2', clientId: webhookClientId, clientSecret: secret ?? '' };
  }

  if (problems.length > 0) {
    throw new Error(`The demo's configuration is incomplete:\n  - ${problems.join('\n  - ')}`);
  }
  const dataDir = get('DEMO_DATA_DIR') ?? 'data';
  return {
    host: get('HOST') ?? '127.0.0.1',
    port,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(process.cwd(), dataDir),
    databaseUrl: get('DATABASE_URL'),
    cashlink,
    webhookPath: WEBHOOK_PATH,
    webhookAuth,
    publicUrl: get('DEMO_PUBLIC_URL'),
    encryption: {
      keys: get('CASHLINK_ENCRYPTION_KEYS'),
      activeKeyId: get('CASHLINK_ENCRYPTION_ACTIVE_KEY_ID'),
    },
  };
}
