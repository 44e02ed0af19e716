import { type MigrationInterface, type QueryRunner, Table, TableColumn } from 'typeorm';

/**
 * Data protection: `erased_at` marks an intent whose personal data was erased (its key and request
 * hash stay, so the key is never sent again), and `cashlink_encryption_keys` lists every key id that
 * ever sealed a value, so that start-up can refuse a key ring that lacks one without scanning the
 * tables. Runs on SQLite and PostgreSQL.
 */
export class CashlinkDataProtection1796200000000 implements MigrationInterface {
  name = 'CashlinkDataProtection1796200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'cashlink_intents',
      new TableColumn({ name: 'erased_at', type: 'bigint', isNullable: true }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'cashlink_encryption_keys',
        columns: [
          { name: 'key_id', type: 'varchar', length: '32', isPrimary: true },
          { name: 'registered_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('cashlink_encryption_keys');
    await queryRunner.dropColumn('cashlink_intents', 'erased_at');
  }
}
