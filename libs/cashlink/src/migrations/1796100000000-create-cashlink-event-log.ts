import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { dropEventLogTriggerStatements, eventLogTriggerStatements } from '../event-log/event-log.schema';

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
    const postgres = queryRunner.connection.options.type === 'postgres';
    await queryRunner.createTable(
      new Table({
        name: 'cashlink_events',
        columns: [
          {
            name: 'id',
            // SQLite: only an INTEGER PRIMARY KEY is the rowid (and AUTOINCREMENT).
            type: postgres ? 'bigint' : 'integer',
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'source', type: 'varchar', length: '16' },
          { name: 'source_id', type: 'varchar', length: '255' },
          { name: 'created_at', type: 'bigint' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'next_attempt_at', type: 'bigint' },
          { name: 'lease_owner', type: 'varchar', length: '64', isNullable: true },
          { name: 'lease_until', type: 'bigint', isNullable: true },
          { name: 'done_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'IDX_cashlink_events_due', columnNames: ['state', 'next_attempt_at'] }),
          new TableIndex({
            name: 'UQ_cashlink_events_fact',
            columnNames: ['source', 'source_id', 'name'],
            isUnique: true,
          }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'cashlink_event_deliveries',
        columns: [
          { name: 'event_id', type: 'bigint', isPrimary: true },
          { name: 'handler', type: 'varchar', length: '200', isPrimary: true },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'next_attempt_at', type: 'bigint' },
          { name: 'last_error', type: 'varchar', length: '1000', isNullable: true },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    for (const sql of eventLogTriggerStatements(postgres)) await queryRunner.query(sql);
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
