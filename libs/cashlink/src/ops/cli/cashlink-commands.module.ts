import { Module } from '@nestjs/common';
import { CashlinkOpsService } from '../cashlink-ops.service';
import { EventsCommand } from './events.commands';
import { IntentsCommand } from './intents.commands';
import { EraseCommand, PurgeCommand, StatusCommand } from './status.commands';
import { WebhooksCommand } from './webhooks.commands';

/**
 * The operators' commands (nest-commander): import it next to your app's own root module in a CLI entry
 * and run it with `runCashlinkCli`, so that the commands use the app's DataSource, options and keys:
 *
 * ```ts
 * @Module({ imports: [AppModule, CashlinkCommandsModule] }) class CliModule {}
 * void runCashlinkCli(CliModule);
 * ```
 */
@Module({
  providers: [
    CashlinkOpsService,
    StatusCommand,
    PurgeCommand,
    EraseCommand,
    ...IntentsCommand.registerWithSubCommands(),
    ...WebhooksCommand.registerWithSubCommands(),
    ...EventsCommand.registerWithSubCommands(),
  ],
})
export class CashlinkCommandsModule {}
