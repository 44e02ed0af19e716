import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventLogTriggerStatements } from '../event-log/event-log.schema';

/**
 * Creates the event log's triggers again so that an intent stopped in `needs_review` writes its
 * `cashlink.intent.expired` event, as the in-process event announces it. The statements drop and
 * create each trigger: running them again is harmless.
 */
export class CashlinkEventLogNeedsReview1796400000000 implements MigrationInterface {
  name = 'CashlinkEventLogNeedsReview1796400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    for (const sql of eventLogTriggerStatements(postgres)) await queryRunner.query(sql);
  }

  async down(): Promise<void> {
    // The triggers belong to CreateCashlinkEventLog1796100000000, whose `down` drops them.
  }
}
