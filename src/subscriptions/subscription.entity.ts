import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A customer's subscription to a campaign. Its id is the idempotency key of the Cashlink investment, and its
 * row commits together with the intent of that investment. `status` is `REQUESTED` until Cashlink answered,
 * then Cashlink's investment status, kept current by webhooks.
 */
@Entity('demo_subscriptions')
export class Subscription {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('demo_subscriptions_customer')
  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @Column({ name: 'campaign_id', type: 'varchar', length: 36 })
  campaignId!: string;

  @Column({ type: 'integer' })
  units!: number;

  @Column({ type: 'varchar', length: 40 })
  status!: string;

  @Index('demo_subscriptions_investment')
  @Column({ name: 'cashlink_investment_id', type: 'varchar', length: 36, nullable: true })
  cashlinkInvestmentId!: string | null;

  @Column({ name: 'document_id', type: 'varchar', length: 36, nullable: true })
  documentId!: string | null;

  /** `changed_at` of the last status change applied (from Cashlink's webhook). */
  @Column({ name: 'status_changed_at', type: 'varchar', length: 40, nullable: true })
  statusChangedAt!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 32 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 32 })
  updatedAt!: string;
}
