import { type MigrationInterface, type QueryRunner, TableColumn, TableIndex } from 'typeorm';

/**
 * Purge keeps a tombstone instead of deleting the row: `purged_at` marks it, `request_body` may then be
 * null, and the purge index leads with `purged_at` so that old tombstones are not scanned again on every
 * purge. Runs on SQLite (TypeORM rebuilds the table there) and PostgreSQL.
 */
export class CashlinkIntentsPurgeTombstones1795995000000 implements MigrationInterface {
  name = 'CashlinkIntentsPurgeTombstones1795995000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('cashlink_intents', 'IDX_cashlink_intents_state_settled');
    await queryRunner.addColumn(
      'cashlink_intents',
      new TableColumn({ name: 'purged_at', type: 'bigint', isNullable: true }),
    );
    await queryRunner.changeColumn(
      'cashlink_intents',
      'request_body',
      new TableColumn({ name: 'request_body', type: 'text', isNullable: true }),
    );
    await queryRunner.createIndex(
      'cashlink_intents',
      new TableIndex({
        name: 'IDX_cashlink_intents_state_purged_settled',
        columnNames: ['state', 'purged_at', 'settled_at'],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('cashlink_intents', 'IDX_cashlink_intents_state_purged_settled');
    // Tombstones have no request left; they cannot go back under a NOT NULL column.
    await queryRunner.query(`DELETE FROM "cashlink_intents" WHERE "purged_at" IS NOT NULL`);
    await queryRunner.changeColumn(
      'cashlink_intents',
      'request_body',
      new TableColumn({ name: 'request_body', type: 'text' }),
    );
    await queryRunner.dropColumn('cashlink_intents', 'purged_at');
    await queryRunner.createIndex(
      'cashlink_intents',
      new TableIndex({ name: 'IDX_cashlink_intents_state_settled', columnNames: ['state', 'settled_at'] }),
    );
  }
}
