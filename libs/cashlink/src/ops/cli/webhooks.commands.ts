import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { CashlinkError } from '../../errors/cashlink.error';
import type { WebhookInboxState } from '../../webhooks/webhook-inbox.entity';
import { CashlinkOpsService, WEBHOOK_STATES } from '../cashlink-ops.service';
import { CliUsageError, parseCount, print, printJson, table } from './cli-output';

@SubCommand({ name: 'count', description: 'Webhook inbox rows by state' })
export class WebhooksCountCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run(_args: string[], options: { json?: boolean } = {}): Promise<void> {
    const { webhooks } = await this.ops.counts();
    if (options.json) return printJson(webhooks);
    print(table(['state', 'count'], Object.entries(webhooks)));
  }

  @Option({ flags: '--json', description: 'JSON output' })
  parseJson(): boolean {
    return true;
  }
}

@SubCommand({ name: 'list', description: 'Webhook inbox rows oldest first' })
export class WebhooksListCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run(
    _args: string[],
    options: { state?: WebhookInboxState; limit?: number; json?: boolean } = {},
  ): Promise<void> {
    const rows = await this.ops.listWebhooks({ state: options.state, limit: options.limit ?? 50 });
    if (options.json) return printJson(rows);
    if (rows.length === 0) return print('No webhook rows.');
    print(
      table(
        ['id', 'state', 'investment', 'status', 'attempts', 'received', 'last error'],
        rows.map((r) => [
          r.id,
          r.state,
          r.investmentId,
          r.status,
          r.attempts,
          r.receivedAt.toISOString(),
          r.lastError,
        ]),
      ),
    );
  }

  @Option({ flags: '--state <state>', description: `One of ${WEBHOOK_STATES.join(', ')}` })
  parseState(value: string): WebhookInboxState {
    if (!WEBHOOK_STATES.includes(value as WebhookInboxState)) {
      throw new CliUsageError(`--state must be one of ${WEBHOOK_STATES.join(', ')}`);
    }
    return value as WebhookInboxState;
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
  arguments: '<id>',
  description: 'One row (a quarantined raw body masked unless --reveal)',
})
export class WebhooksShowCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run([id]: string[], options: { reveal?: boolean } = {}): Promise<void> {
    const row = await this.ops.showWebhook(id!, options.reveal === true);
    if (!row) throw new CashlinkError(`No webhook row with id ${id}.`);
    printJson(row);
  }

  @Option({ flags: '--reveal', description: 'Show the raw body of a quarantined row' })
  parseReveal(): boolean {
    return true;
  }
}

@SubCommand({
  name: 'redispatch',
  arguments: '[id]',
  description: 'Put one dead row (by id) or every dead row (--all-dead) back to pending',
})
export class WebhooksRedispatchCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run([id]: string[], options: { allDead?: boolean } = {}): Promise<void> {
    if ((id === undefined) === (options.allDead !== true)) {
      throw new CliUsageError('give one row id, or --all-dead');
    }
    const count = await this.ops.redispatch(id ?? { state: 'dead' });
    if (id !== undefined && count === 0) {
      throw new CashlinkError(`No dead or processed webhook row with id ${id}; nothing was changed.`);
    }
    print(`Re-queued ${count} webhook row${count === 1 ? '' : 's'}; the app's dispatcher delivers them.`);
  }

  @Option({ flags: '--all-dead', description: 'Every dead row' })
  parseAllDead(): boolean {
    return true;
  }
}

@Command({
  name: 'webhooks',
  description: 'Webhook inbox: count, list, show, redispatch',
  subCommands: [WebhooksCountCommand, WebhooksListCommand, WebhooksShowCommand, WebhooksRedispatchCommand],
})
export class WebhooksCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
