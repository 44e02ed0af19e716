import { Command, CommandRunner, Option } from 'nest-commander';
import { CashlinkOpsService } from '../cashlink-ops.service';
import { CashlinkError } from '../../errors/cashlink.error';
import { CliUsageError, print, printJson, table } from './cli-output';

@Command({
  name: 'status',
  description: 'Intents, webhook rows and handler deliveries by state, and what waits for a person',
})
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
          ...Object.entries(counts.deliveries).map(([s, n]) => ['handler deliveries', s, n]),
        ],
      ),
    );
    const waiting = counts.intents.expired + counts.intents.needs_review;
    print(
      `Waiting for a person: ${waiting} intents (expired, needs_review), ${counts.webhooks.dead} dead webhook rows, ` +
        `${counts.deliveries.dead} dead handler deliveries.`,
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
      `Purged ${purged.intents} intents (tombstones kept) and ${purged.webhooks} processed webhook rows; ` +
        `personal data retention erased ${purged.personalData.intents} intents and ${purged.personalData.webhooks} webhook rows.`,
    );
  }
}

@Command({
  name: 'erase',
  arguments: '[keys...]',
  description:
    'Erase personal data on request: of these intents (by key), or of every intent about --investor <id>',
})
export class EraseCommand extends CommandRunner {
  constructor(private readonly ops: CashlinkOpsService) {
    super();
  }

  async run(keys: string[], options: { investor?: string } = {}): Promise<void> {
    if (keys.length > 0 === (options.investor !== undefined)) {
      throw new CliUsageError('give intent keys, or --investor <Cashlink investor id>');
    }
    const erased = await this.ops.erase(options.investor ? { investorId: options.investor } : { keys });
    if (keys.length > 0 && erased.length < keys.length) {
      const missing = keys.filter((k) => !erased.includes(k));
      print(`Erased ${erased.length} intent(s).`);
      throw new CashlinkError(`No intent with key(s) ${missing.join(', ')}; those were not erased.`);
    }
    print(
      `Erased the personal data of ${erased.length} intent(s); their keys stay known and are never sent again.`,
    );
  }

  @Option({ flags: '--investor <id>', description: 'Every intent about this Cashlink investor' })
  parseInvestor(value: string): string {
    return value;
  }
}
