import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createEventLogSchema, dropEventLogTriggerStatements } from '../event-log/event-log.schema';

/**
 * The durable event log: `cashlink_events` (one row per stored webhook change and per intent
 * settlement, written by triggers in the transaction of its fact) and `cashlink_event_deliveries`
 * (the delivery state of each handler). Upgrade path: every change still pending in the inbox gets its
 * event row here, so none of them misses the handlers; intents still pending get theirs when they
 * settle. Changes already processed and intents already settled were delivered before, and get none.
 */
export class CreateCashlinkEventLog1796100000000 implements MigrationInterface {
  name = 'CreateCashlinkEventLog1796100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await createEventLogSchema(queryRunner);
    // Changes received before the upgrade and not dispatched yet: their events, in receipt order.
    await queryRunner.query(
      `INSERT INTO "cashlink_events" ("name", "source", "source_id", "created_at", "state", "attempts", "next_attempt_at") ` +
        `SELECT 'cashlink.investment.status_changed', 'webhook', "id", "received_at", 'pending', 0, "received_at" ` +
        `FROM "cashlink_webhook_inbox" WHERE "state" = 'pending' ORDER BY "received_at", "id"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.options.type === 'postgres';
    for (const sql of dropEventLogTriggerStatements(postgres)) await queryRunner.query(sql);
    await queryRunner.dropTable('cashlink_event_deliveries');
    await queryRunner.dropTable('cashlink_events');
  }
}
