import type { ConfigService } from '@nestjs/config';
import type { CashlinkModuleOptions } from 'nestjs-cashlink';
import { demoEncryptionKeys } from './demo-encryption';
import { readDemoSettings } from './demo-settings';
import type { EmbeddedCashlink } from './embedded-cashlink';

/**
 * The `CashlinkModule.forRootAsync` factory: the embedded emulator's URLs and credentials, or the real
 * Cashlink settings from the environment; the webhook receiver with the token Cashlink authenticates with.
 */
export function cashlinkOptionsFactory(
  config: ConfigService,
  embedded: EmbeddedCashlink,
): CashlinkModuleOptions {
  const settings = readDemoSettings(config);
  const emulator = embedded.emulator;
  const target: Pick<
    CashlinkModuleOptions,
    'environment' | 'baseUrl' | 'tokenUrl' | 'clientId' | 'clientSecret'
  > =
    emulator !== null
      ? {
          baseUrl: emulator.baseUrl,
          tokenUrl: emulator.tokenUrl,
          clientId: emulator.clientId,
          clientSecret: emulator.clientSecret,
        }
      : settings.cashlink.mode === 'remote'
        ? {
            environment: settings.cashlink.environment,
            baseUrl: settings.cashlink.baseUrl,
            tokenUrl: settings.cashlink.tokenUrl,
            clientId: settings.cashlink.clientId,
            clientSecret: settings.cashlink.clientSecret,
          }
        : { clientId: '', clientSecret: '' };
  const auth = embedded.webhookAuth;
  return {
    ...target,
    encryption: demoEncryptionKeys(settings.encryption, settings.dataDir),
    webhooks:
      auth.type === 'none'
        ? false
        : {
            path: settings.webhookPath,
            auth,
            // Short intervals so that the demo's timeline moves briskly; the defaults suit production.
            dispatch: { intervalMs: 500, backoff: { initialDelayMs: 200, maxDelayMs: 5_000 } },
          },
  };
}
