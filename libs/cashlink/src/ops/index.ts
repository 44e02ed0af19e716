// nestjs-cashlink/ops: the operators' tools, a separate entry so that an app without them never loads
// nest-commander. Over the public services of the main entry (intents, reconciliation, webhooks).
export { CashlinkOpsService, type CashlinkOpsCounts, type CashlinkOpsIntent } from './cashlink-ops.service';
export { MASK, maskPersonalData } from './ops-masking';
export { CashlinkCommandsModule } from './cli/cashlink-commands.module';
export { CASHLINK_CLI_EXIT, type CashlinkCliOptions, runCashlinkCli } from './cli/run-cashlink-cli';
export { CashlinkOpsPageModule } from './page/cashlink-ops-page.module';
export { type CashlinkOpsPageOptions, OPS_PAGE_UNGUARDED_LOCAL_ONLY } from './page/ops-page.options';
