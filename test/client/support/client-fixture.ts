import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CashlinkModule, type CashlinkModuleOptions } from 'nestjs-cashlink';
import {
  startCashlinkEmulator,
  testEncryptionKeys,
  type CashlinkEmulator,
  type CashlinkEmulatorOptions,
} from 'nestjs-cashlink/testing';

/** Options that point the client at `emu`, with short backoffs so retry tests stay fast. */
export function clientOptions(
  emu: CashlinkEmulator,
  overrides: Partial<CashlinkModuleOptions> = {},
): CashlinkModuleOptions {
  return {
    baseUrl: emu.baseUrl,
    tokenUrl: emu.tokenUrl,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    idempotency: false,
    encryption: testEncryptionKeys(),
    ...overrides,
    http: { retryBaseDelayMs: 5, retryMaxDelayMs: 20, timeoutMs: 5000, ...overrides.http },
  };
}

/** A Nest application context with `CashlinkModule.forRoot` (no persistence) against the emulator. */
export async function createClientApp(
  emu: CashlinkEmulator,
  overrides: Partial<CashlinkModuleOptions> = {},
): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [CashlinkModule.forRoot({ ...clientOptions(emu, overrides), persistence: false })],
  }).compile();
  return moduleRef.init();
}

/** An emulator plus a client app, both closed by `close()`. */
export async function startClientFixture(
  emulatorOptions: CashlinkEmulatorOptions = {},
  overrides: Partial<CashlinkModuleOptions> = {},
): Promise<{ emu: CashlinkEmulator; app: INestApplicationContext; close(): Promise<void> }> {
  const emu = await startCashlinkEmulator(emulatorOptions);
  const app = await createClientApp(emu, overrides);
  return {
    emu,
    app,
    async close() {
      await app.close();
      await emu.close();
    },
  };
}

/** API requests (not token requests) the emulator saw, optionally for one method + path. */
export function apiRequests(emu: CashlinkEmulator, method?: string, path?: string) {
  return emu
    .requests()
    .filter((r) => r.path !== '/oauth/token')
    .filter((r) => (method === undefined || r.method === method) && (path === undefined || r.path === path));
}
