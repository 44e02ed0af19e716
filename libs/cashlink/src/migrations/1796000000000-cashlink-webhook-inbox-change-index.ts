import { type MigrationInterface, type QueryRunner, TableIndex } from 'typeorm';

const TABLE = 'cashlink_webhook_inbox';

/**
 * One index fewer per received webhook: a change is unique by `(investment_id, changed_at, status)`,
 * and the watermark reads the same index by its `(investment_id, changed_at)` prefix, so it replaces
 * both the unique `dedupe_key` index and the investment index. `dedupe_key` stays unique among
 * quarantined rows (no investment id) only. Every stored change already is unique by those columns
 * (its dedupe key is their hash), so the index builds on any existing table. Each row used to
 * touch three random index pages when inserted; now two.
 */
export class CashlinkWebhookInboxChangeIndex1796000000000 implements MigrationInterface {
  name = 'CashlinkWebhookInboxChangeIndex1796000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Built beforehand (`CREATE UNIQUE INDEX CONCURRENTLY` on a large Postgres inbox, README): kept.
    const built = (await queryRunner.getTable(TABLE))?.indices.some(
      (index) => index.name === 'UQ_cashlink_webhook_inbox_change',
    );
    if (!built) {
      await queryRunner.createIndex(
        TABLE,
        new TableIndex({
          name: 'UQ_cashlink_webhook_inbox_change',
          columnNames: ['investment_id', 'changed_at', 'status'],
          isUnique: true,
        }),
      );
    }
    await queryRunner.dropIndex(TABLE, 'IDX_cashlink_webhook_inbox_investment');
    await queryRunner.dropIndex(TABLE, 'UQ_cashlink_webhook_inbox_dedupe_key');
    await queryRunner.createIndex(
      TABLE,
      new TableIndex({
        name: 'UQ_cashlink_webhook_inbox_quarantine_key',
        columnNames: ['dedupe_key'],
        isUnique: true,
        where: '"investment_id" IS NULL',
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex(TABLE, 'UQ_cashlink_webhook_inbox_quarantine_key');
    await queryRunner.createIndex(
      TABLE,
      new TableIndex({
        name: 'UQ_cashlink_webhook_inbox_dedupe_key',
        columnNames: ['dedupe_key'],
        isUnique: true,
      }),
    );
    await queryRunner.createIndex(
      TABLE,
      new TableIndex({
        name: 'IDX_cashlink_webhook_inbox_investment',
        columnNames: ['investment_id', 'changed_at'],
      }),
    );
    await queryRunner.dropIndex(TABLE, 'UQ_cashlink_webhook_inbox_change');
  }
}
