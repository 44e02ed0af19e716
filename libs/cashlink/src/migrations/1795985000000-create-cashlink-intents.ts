import { type MigrationInterface, type QueryRunner, Table, TableIndex } from 'typeorm';

/**
 * The durable idempotency intents table (`CashlinkIntent`). Written with TypeORM's schema API so that
 * the same migration runs on SQLite and PostgreSQL. Timestamps are epoch milliseconds in `bigint`.
 */
export class CreateCashlinkIntents1795985000000 implements MigrationInterface {
  name = 'CreateCashlinkIntents1795985000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'cashlink_intents',
        columns: [
          { name: 'idempotency_key', type: 'varchar', length: '255', isPrimary: true },
          { name: 'operation', type: 'varchar', length: '100' },
          { name: 'method', type: 'varchar', length: '10' },
          { name: 'path', type: 'varchar', length: '1000' },
          { name: 'request_body', type: 'text' },
          { name: 'request_hash', type: 'varchar', length: '64' },
          { name: 'state', type: 'varchar', length: '20' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'next_attempt_at', type: 'bigint' },
          { name: 'lease_owner', type: 'varchar', length: '255', isNullable: true },
          { name: 'lease_until', type: 'bigint', isNullable: true },
          { name: 'response_status', type: 'integer', isNullable: true },
          { name: 'response_body', type: 'text', isNullable: true },
          { name: 'last_error', type: 'text', isNullable: true },
          { name: 'unrecoverable_reason', type: 'text', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
          { name: 'settled_at', type: 'bigint', isNullable: true },
        ],
      }),
    );
    // "Claim due pending intents" and "purge settled before X" stay index range scans as the table grows.
    await queryRunner.createIndex(
      'cashlink_intents',
      new TableIndex({
        name: 'IDX_cashlink_intents_state_next_attempt',
        columnNames: ['state', 'next_attempt_at'],
      }),
    );
    await queryRunner.createIndex(
      'cashlink_intents',
      new TableIndex({ name: 'IDX_cashlink_intents_state_settled', columnNames: ['state', 'settled_at'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('cashlink_intents', 'IDX_cashlink_intents_state_settled');
    await queryRunner.dropIndex('cashlink_intents', 'IDX_cashlink_intents_state_next_attempt');
    await queryRunner.dropTable('cashlink_intents');
  }
}
