import { Command, CommandRunner, Option } from 'nest-commander';
import { CashlinkOpsService } from '../cashlink-ops.service';
import { print, printJson, table } from './cli-output';

@Command({ name: 'status', description: 'Intents and webhook rows by state, and what waits for a person' })
export class StatusCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run(_args: string[], options: { json?: boolean } = {}): Promise<void> {
    const counts = await this.ops.counts();
    if (options.json) return printJson(counts);
    print(
      table(
        ['table', 'state', 'count'],
        [
          ...Object.entries(counts.intents).map(([s, n]) => ['intents', s, n]),
          ...Object.entries(counts.webhooks).map(([s, n]) => ['webhooks', s, n]),
        ],
      ),
    );
    const waiting = counts.intents.expired + counts.intents.needs_review;
    print(
      `Waiting for a person: ${waiting} intents (expired, needs_review), ${counts.webhooks.dead} dead webhook rows.`,
    );
  }

  @Option({ flags: '--json', description: 'JSON output' })
  parseJson(): boolean {
    return true;
  }
}

@Command({ name: 'purge', description: 'Apply the retention of intents and webhook rows now' })
export class PurgeCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run(): Promise<void> {
    const purged = await this.ops.purge();
    print(
      `Purged ${purged.intents} intents (tombstones kept) and ${purged.webhooks} processed webhook rows.`,
    );
  }
}
