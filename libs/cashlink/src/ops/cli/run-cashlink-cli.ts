import type { DynamicModule, INestApplicationContext, LogLevel, Type } from '@nestjs/common';
import { CommandFactory } from 'nest-commander';
import { CashlinkError } from '../../errors/cashlink.error';
import { CashlinkOpsService } from '../cashlink-ops.service';
import { CashlinkCommandsModule } from './cashlink-commands.module';
import { CliUsageError } from './cli-output';

/** Exit codes of the CLI. */
export const CASHLINK_CLI_EXIT = {
  ok: 0,
  /** The library refused or failed the operation (unknown key, not waiting for a person, Cashlink error). */
  refused: 1,
  /** The command was called wrongly (unknown command or option, missing argument). */
  usage: 2,
} as const;

/** Options of `runCashlinkCli`. */
export interface CashlinkCliOptions {
  /** Nest log levels while the app boots and runs the command. @default ['error'] */
  logger?: LogLevel[] | false;
  /** Name shown in help. @default 'cashlink' */
  cliName?: string;
  /**
   * After a command that changed state (resolve, redispatch), how long the app's event listeners get to
   * finish before the app closes (the emitter does not await them).
   * @default 1000
   */
  drainMs?: number;
}

/**
 * Boots `rootModule` (the app's own module plus `CashlinkCommandsModule`) as an application context,
 * runs the command in `process.argv`, closes the app, and exits with `CASHLINK_CLI_EXIT`. Errors are one
 * line on stderr: the library's messages never hold secrets or personal data.
 */
export async function runCashlinkCli(
  rootModule: Type | DynamicModule,
  options: CashlinkCliOptions = {},
): Promise<void> {
  let exitCode: number = CASHLINK_CLI_EXIT.ok;
  const fail = (error: unknown): void => {
    const e = error as { code?: string; exitCode?: number; message?: string };
    if (typeof e?.code === 'string' && e.code.startsWith('commander.')) {
      // commander already printed help or the usage error.
      exitCode = e.exitCode === 0 ? CASHLINK_CLI_EXIT.ok : CASHLINK_CLI_EXIT.usage;
      return;
    }
    if (error instanceof CliUsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      exitCode = CASHLINK_CLI_EXIT.usage;
      return;
    }
    const name = error instanceof CashlinkError ? error.name : 'Error';
    process.stderr.write(`${name}: ${e?.message ?? String(error)}\n`);
    exitCode = CASHLINK_CLI_EXIT.refused;
  };
  let app: INestApplicationContext | undefined;
  try {
    app = await CommandFactory.createWithoutRunning(rootModule, {
      logger: options.logger ?? ['error'],
      cliName: options.cliName ?? 'cashlink',
      // Thrown instead of exiting inside commander, so that the app is closed before the process exits.
      errorHandler: (error) => {
        throw error;
      },
      serviceErrorHandler: fail,
    });
    await CommandFactory.runApplication(app);
    // A command that changed state (a resolution that sent a request, a redispatch) made the library emit
    // events whose async listeners (the app's own) are not awaited by the emitter: give them time to
    // finish before the DataSource closes under them.
    // The commands' own instance (the ops page module, if mounted too, has another one).
    if (changedState(app)) await new Promise((r) => setTimeout(r, options.drainMs ?? 1_000));
  } catch (error) {
    fail(error);
  } finally {
    await app?.close().catch((error: unknown) => fail(error));
  }
  // Exit once stdout is flushed (a pipe is asynchronous): nothing of the app should keep the process up.
  process.stdout.write('', () => process.exit(exitCode));
}

/** Whether the commands' ops service changed state in this run (false when the module is not there). */
function changedState(app: INestApplicationContext): boolean {
  try {
    return app.select(CashlinkCommandsModule).get(CashlinkOpsService).changedState;
  } catch {
    return false;
  }
}
