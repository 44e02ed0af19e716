import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventLogTriggerStatements } from '../event-log/event-log.schema';

/**
 * Creates the event log's triggers again, idempotently. On SQLite, a migration that changes a column
 * (`CashlinkDataProtection1796200000000`) rebuilds the table, and the rebuild drops the triggers on it:
 * changes and settlements would then be stored without their events. Every later migration that
 * rebuilds `cashlink_webhook_inbox` or `cashlink_intents` must be followed by the same statements.
 */
export class CashlinkEventLogTriggers1796300000000 implements MigrationInterface {
  name = 'CashlinkEventLogTriggers1796300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    for (const sql of eventLogTriggerStatements(postgres)) await queryRunner.query(sql);
  }

  async down(): Promise<void> {
    // The triggers belong to CreateCashlinkEventLog1796100000000, whose `down` drops them.
  }
}
