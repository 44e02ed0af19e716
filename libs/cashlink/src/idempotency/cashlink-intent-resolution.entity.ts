import { Column, Entity, Index, PrimaryColumn, type ValueTransformer } from 'typeorm';
import type { CashlinkIntentState } from './cashlink-intent.entity';

/** Name of the resolutions table (the migration creates it). */
export const CASHLINK_INTENT_RESOLUTIONS_TABLE = 'cashlink_intent_resolutions';

/**
 * What a person decided about an intent whose outcome was unknown:
 * - `created`: Cashlink did create it; `objectId` is the object, stored as the intent's answer;
 * - `send_again`: it was not created; the same request went out under `newKey` (the old key never again);
 * - `abandoned`: it is not to be created.
 */
export type CashlinkIntentResolutionAction = 'created' | 'send_again' | 'abandoned';

const epochMs: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};

/** One resolution per intent (unique `intent_key`): who decided what, when and why. */
@Entity({ name: CASHLINK_INTENT_RESOLUTIONS_TABLE })
@Index('UQ_cashlink_intent_resolutions_intent_key', ['intentKey'], { unique: true })
export class CashlinkIntentResolution {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'intent_key', type: 'varchar', length: 255 })
  intentKey!: string;

  @Column({ type: 'varchar', length: 20 })
  action!: CashlinkIntentResolutionAction;

  /** Who decided (an operator's name or id, as the CLI or the ops page's guard gives it). */
  @Column({ type: 'varchar', length: 200 })
  actor!: string;

  @Column({ type: 'text' })
  reason!: string;

  /** The intent's state when it was resolved (`expired` or `needs_review`). */
  @Column({ name: 'previous_state', type: 'varchar', length: 20 })
  previousState!: CashlinkIntentState;

  @Column({ name: 'object_id', type: 'varchar', length: 255, nullable: true })
  objectId!: string | null;

  @Column({ name: 'new_key', type: 'varchar', length: 255, nullable: true })
  newKey!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
