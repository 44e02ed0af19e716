import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CashlinkError } from '../../errors/cashlink.error';
import type { CashlinkDeliveryState } from '../../event-log/cashlink-event.entity';
import { CashlinkOpsService, DELIVERY_STATES } from '../cashlink-ops.service';
import { CliUsageError, parseCount, print, printJson, table } from './cli-output';

/** Options every delivery command may filter by. */
interface DeliveryFilter {
  handler?: string;
  json?: boolean;
}

@SubCommand({ name: 'count', description: 'Handler deliveries (@OnCashlinkEvent) by state' })
export class EventsCountCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run(_args: string[], options: DeliveryFilter = {}): Promise<void> {
    const counts = await this.ops.countDeliveries(options.handler);
    if (options.json) return printJson(counts);
    print(
      table(
        ['state', 'count'],
        DELIVERY_STATES.map((state) => [state, counts[state]]),
      ),
    );
  }

  @Option({ flags: '--handler <name>', description: 'Only this handler' })
  parseHandler(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'JSON output' })
  parseJson(): boolean {
    return true;
  }
}

@SubCommand({ name: 'list', description: 'Handler deliveries by event, then handler' })
export class EventsListCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run(
    _args: string[],
    options: DeliveryFilter & { state?: CashlinkDeliveryState; limit?: number } = {},
  ): Promise<void> {
    const rows = await this.ops.listDeliveries({
      state: options.state,
      handler: options.handler,
      limit: options.limit ?? 50,
    });
    if (options.json) return printJson(rows);
    if (rows.length === 0) return print('No handler deliveries.');
    print(
      table(
        ['event', 'handler', 'state', 'attempts', 'updated', 'last error'],
        rows.map((r) => [r.eventId, r.handler, r.state, r.attempts, r.updatedAt.toISOString(), r.lastError]),
      ),
    );
  }

  @Option({ flags: '--state <state>', description: `One of ${DELIVERY_STATES.join(', ')}` })
  parseState(value: string): CashlinkDeliveryState {
    if (!DELIVERY_STATES.includes(value as CashlinkDeliveryState)) {
      throw new CliUsageError(`--state must be one of ${DELIVERY_STATES.join(', ')}`);
    }
    return value as CashlinkDeliveryState;
  }

  @Option({ flags: '--handler <name>', description: 'Only this handler' })
  parseHandler(value: string): string {
    return value;
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
  name: 'redispatch',
  arguments: '[eventId]',
  description:
    'Deliver one event again to one handler (<eventId> --handler <name>), or every dead delivery (--all-dead [--handler <name>]); other handlers do not run again',
})
export class EventsRedispatchCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run([eventId]: string[], options: DeliveryFilter & { allDead?: boolean } = {}): Promise<void> {
    if ((eventId === undefined) === (options.allDead !== true)) {
      throw new CliUsageError('give one event id with --handler, or --all-dead');
    }
    if (eventId !== undefined) {
      if (options.handler === undefined) throw new CliUsageError('an event id needs --handler <name>');
      const id = parseCount(eventId, '<eventId>');
      const count = await this.ops.redispatchDeliveries({ eventId: id, handler: options.handler });
      if (count === 0) {
        throw new CashlinkError(
          `No delivery of event ${id} to handler ${options.handler}; nothing was changed.`,
        );
      }
      return print(`Re-queued event ${id} for ${options.handler}; the app's dispatcher delivers it.`);
    }
    const count = await this.ops.redispatchDeliveries({ state: 'dead', handler: options.handler });
    print(`Re-queued ${count} dead deliver${count === 1 ? 'y' : 'ies'}; the app's dispatcher delivers them.`);
  }

  @Option({ flags: '--handler <name>', description: 'The handler (its name, e.g. OrdersHandler.apply)' })
  parseHandler(value: string): string {
    return value;
  }

  @Option({ flags: '--all-dead', description: 'Every dead delivery' })
  parseAllDead(): boolean {
    return true;
  }
}

@Command({
  name: 'events',
  description: 'The event log: handler deliveries count, list, redispatch',
  subCommands: [EventsCountCommand, EventsListCommand, EventsRedispatchCommand],
})
export class EventsCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
