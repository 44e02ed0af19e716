import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The demo's tables, written with TypeORM's schema API so that one migration serves SQLite and PostgreSQL.
 * Timestamps are ISO strings (the same on both databases, sortable).
 */
export class CreateDemoTables1796100000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    const id = (name: string, nullable = false) => ({
      name,
      type: 'varchar',
      length: '36',
      isNullable: nullable,
    });
    const text = (name: string, length: number, nullable = false) => ({
      name,
      type: 'varchar',
      length: String(length),
      isNullable: nullable,
    });
    await queryRunner.createTable(
      new Table({
        name: 'demo_customers',
        columns: [
          { ...id('id'), isPrimary: true },
          text('forename', 100),
          text('surname', 100),
          text('email', 200),
          id('cashlink_investor_id', true),
          text('created_at', 32),
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'demo_subscriptions',
        columns: [
          { ...id('id'), isPrimary: true },
          id('customer_id'),
          id('campaign_id'),
          { name: 'units', type: 'integer' },
          text('status', 40),
          id('cashlink_investment_id', true),
          id('document_id', true),
          text('status_changed_at', 40, true),
          text('created_at', 32),
          text('updated_at', 32),
        ],
        indices: [
          new TableIndex({ name: 'demo_subscriptions_investment', columnNames: ['cashlink_investment_id'] }),
          new TableIndex({ name: 'demo_subscriptions_customer', columnNames: ['customer_id'] }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('demo_subscriptions', true);
    await queryRunner.dropTable('demo_customers', true);
  }
}
