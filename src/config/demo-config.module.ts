import { Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { readDemoSettings, type DemoSettings } from './demo-settings';
import { EmbeddedCashlink } from './embedded-cashlink';
import { DEMO_OPS_PASSWORD, demoOpsPassword } from '../ops/demo-ops.guard';

/** Injection token of the demo's `DemoSettings`. */
export const DEMO_SETTINGS = Symbol('DEMO_SETTINGS');

/**
 * Configuration from environment variables (and an optional `.env`) through `@nestjs/config`, and the
 * embedded Cashlink emulator when no Cashlink is configured.
 */
@Global()
@Module({
  imports: [ConfigModule.forRoot({ isGlobal: true, cache: true })],
  providers: [
    { provide: DEMO_SETTINGS, inject: [ConfigService], useFactory: readDemoSettings },
    {
      provide: EmbeddedCashlink,
      inject: [DEMO_SETTINGS],
      useFactory: (settings: DemoSettings) => EmbeddedCashlink.start(settings),
    },
    { provide: DEMO_OPS_PASSWORD, inject: [ConfigService], useFactory: demoOpsPassword },
  ],
  exports: [DEMO_SETTINGS, EmbeddedCashlink, DEMO_OPS_PASSWORD],
})
export class DemoConfigModule {}
