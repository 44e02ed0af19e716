// `npm run emulator`: the emulator as a standalone process, controlled over HTTP under /__emulator.
import {
  DEFAULT_EMULATOR_CLIENT_ID,
  DEFAULT_EMULATOR_CLIENT_SECRET,
  startCashlinkEmulator,
} from './cashlink-emulator';
import { CONTROL_PREFIX } from './emulator-request.handler';

/** Default port of the standalone emulator. */
const DEFAULT_PORT = 4010;

async function main(): Promise<void> {
  const rawPort = process.env.EMULATOR_PORT;
  const port = rawPort === undefined || rawPort === '' ? DEFAULT_PORT : Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`EMULATOR_PORT must be a port number (0-65535), got "${rawPort}"\n`);
    process.exit(2);
  }
  const clientId = process.env.EMULATOR_CLIENT_ID || DEFAULT_EMULATOR_CLIENT_ID;
  const clientSecret = process.env.EMULATOR_CLIENT_SECRET || DEFAULT_EMULATOR_CLIENT_SECRET;
  const emulator = await startCashlinkEmulator({
    port,
    host: process.env.EMULATOR_HOST || '127.0.0.1',
    clientId,
    clientSecret,
  });
  // A local test double: printing its credentials is the point (they are not real secrets).
  process.stdout.write(
    [
      'Cashlink emulator listening',
      `  API base:    ${emulator.baseUrl}`,
      `  Token URL:   ${emulator.tokenUrl}`,
      `  Client id:   ${clientId}${process.env.EMULATOR_CLIENT_ID ? '' : ' (default; set EMULATOR_CLIENT_ID)'}`,
      `  Secret:      ${clientSecret}${process.env.EMULATOR_CLIENT_SECRET ? '' : ' (default; set EMULATOR_CLIENT_SECRET)'}`,
      `  Control API: ${emulator.origin}${CONTROL_PREFIX}/`,
      '',
    ].join('\n'),
  );
  const stop = (): void => {
    void emulator.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Cashlink emulator failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
