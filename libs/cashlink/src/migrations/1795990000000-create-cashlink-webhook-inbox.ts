import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The webhooks inbox: one row per received change, unique per dedupe key; the
 * per-investment watermark is read from it by `(investment_id, changed_at)`. Written with TypeORM's Table API so it runs on SQLite and Postgres.
 */
export class CreateCashlinkWebhookInbox1795990000000 implements MigrationInterface {
  name = 'CreateCashlinkWebhookInbox1795990000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'cashlink_webhook_inbox',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'dedupe_key', type: 'varchar', length: '64' },
          { name: 'investment_id', type: 'varchar', length: '64', isNullable: true },
          { name: 'status', type: 'varchar', length: '64', isNullable: true },
          { name: 'changed_at', type: 'varchar', length: '40', isNullable: true },
          { name: 'previous_status', type: 'varchar', length: '64', isNullable: true },
          { name: 'stale', type: 'boolean', default: false },
          { name: 'received_at', type: 'bigint' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'next_attempt_at', type: 'bigint' },
          { name: 'lease_owner', type: 'varchar', length: '64', isNullable: true },
          { name: 'lease_until', type: 'bigint', isNullable: true },
          { name: 'last_error', type: 'varchar', length: '1000', isNullable: true },
          { name: 'processed_at', type: 'bigint', isNullable: true },
          { name: 'raw_body', type: 'text', isNullable: true },
        ],
        indices: [
          new TableIndex({
            name: 'UQ_cashlink_webhook_inbox_dedupe_key',
            columnNames: ['dedupe_key'],
            isUnique: true,
          }),
          // Claims look for due rows by state and time: this keeps them cheap however big the table grows.
          new TableIndex({
            name: 'IDX_cashlink_webhook_inbox_due',
            columnNames: ['state', 'next_attempt_at'],
          }),
          // The per-investment watermark (latest changed_at) is read through this index.
          new TableIndex({
            name: 'IDX_cashlink_webhook_inbox_investment',
            columnNames: ['investment_id', 'changed_at'],
          }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('cashlink_webhook_inbox', true);
  }
}
