import { randomBytes } from 'node:crypto';
import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { startCashlinkEmulator } from 'nestjs-cashlink/testing';
import type { DemoSettings, WebhookAuthSetting } from './demo-settings';

type Emulator = Awaited<ReturnType<typeof startCashlinkEmulator>>;

/**
 * The in-process Cashlink emulator the demo runs when no Cashlink settings are given, and the bearer token
 * (generated at each start) with which the emulator authenticates its webhooks at the demo's receiver.
 * With real Cashlink settings this holds nothing and the demo talks to Cashlink.
 */
export class EmbeddedCashlink implements OnApplicationShutdown {
  private readonly logger = new Logger(EmbeddedCashlink.name);

  private constructor(
    /** The running emulator, or null when the demo talks to a real Cashlink. */
    readonly emulator: Emulator | null,
    /** How Cashlink authenticates its webhooks at this app. */
    readonly webhookAuth: WebhookAuthSetting,
  ) {}

  /** Starts the emulator when the settings name no Cashlink environment. */
  static async start(settings: DemoSettings): Promise<EmbeddedCashlink> {
    if (settings.cashlink.mode !== 'emulator') return new EmbeddedCashlink(null, settings.webhookAuth);
    const emulator = await startCashlinkEmulator({ port: settings.cashlink.port });
    const token = randomBytes(32).toString('base64url');
    return new EmbeddedCashlink(emulator, { type: 'bearer', tokens: [token] });
  }

  /** Points the emulator's webhooks at the app's receiver (called once the app listens). */
  connectWebhooks(receiverUrl: string): void {
    if (this.emulator === null || this.webhookAuth.type !== 'bearer') return;
    const token = this.webhookAuth.tokens[0] ?? '';
    this.emulator.configureWebhooks({
      url: receiverUrl,
      auth: { type: 'bearer', token },
      retryInitialDelayMs: 200,
      retryMaxDelayMs: 5_000,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.emulator === null) return;
    try {
      await this.emulator.close();
    } catch (error) {
      this.logger.warn(`emulator did not close cleanly: ${(error as Error).message}`);
    }
  }
}
