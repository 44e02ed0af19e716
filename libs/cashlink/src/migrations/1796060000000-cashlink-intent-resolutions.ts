import { type MigrationInterface, type QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Reconciliation by a person: `conflicts` on intents (409 answers in a row, against
 * `idempotency.conflictBudget`), and one resolution row per intent (who, when, why, what was decided).
 * The unique index on `intent_key` is what makes a double submit of a resolution a no-op: the second
 * insert fails inside the transaction that would have changed the intent. Runs on SQLite and PostgreSQL.
 */
export class CashlinkIntentResolutions1796060000000 implements MigrationInterface {
  name = 'CashlinkIntentResolutions1796060000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'cashlink_intents',
      new TableColumn({ name: 'conflicts', type: 'integer', default: 0 }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'cashlink_intent_resolutions',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'intent_key', type: 'varchar', length: '255' },
          { name: 'action', type: 'varchar', length: '20' },
          { name: 'actor', type: 'varchar', length: '200' },
          { name: 'reason', type: 'text' },
          { name: 'previous_state', type: 'varchar', length: '20' },
          { name: 'object_id', type: 'varchar', length: '255', isNullable: true },
          { name: 'new_key', type: 'varchar', length: '255', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
      }),
    );
    await queryRunner.createIndex(
      'cashlink_intent_resolutions',
      new TableIndex({
        name: 'UQ_cashlink_intent_resolutions_intent_key',
        columnNames: ['intent_key'],
        isUnique: true,
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('cashlink_intent_resolutions', 'UQ_cashlink_intent_resolutions_intent_key');
    await queryRunner.dropTable('cashlink_intent_resolutions');
    await queryRunner.dropColumn('cashlink_intents', 'conflicts');
  }
}
