import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A customer of the demo platform. Its id is also the idempotency key of its Cashlink investor. */
@Entity('demo_customers')
export class Customer {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  forename!: string;

  @Column({ type: 'varchar', length: 100 })
  surname!: string;

  @Column({ type: 'varchar', length: 200 })
  email!: string;

  /** Set once Cashlink created the investor. */
  @Column({ name: 'cashlink_investor_id', type: 'varchar', length: 36, nullable: true })
  cashlinkInvestorId!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;
}
