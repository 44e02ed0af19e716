import { CashlinkError } from '../errors/cashlink.error';
import type { CashlinkIntentState } from './cashlink-intent.entity';
import type { CashlinkIntentResolutionView } from './cashlink-reconciliation.types';

/** No intent has this idempotency key. Nothing was changed. */
export class CashlinkIntentNotFoundError extends CashlinkError {
  constructor(readonly idempotencyKey: string) {
    super(`No intent with idempotency key ${idempotencyKey}. Nothing was changed.`);
  }
}

/**
 * The intent is not waiting for a person (only `expired` and `needs_review` ones are): it is still being
 * sent, it settled, or it was resolved already (`resolution` then says by whom and how; a double submit
 * of a resolution ends here too). Nothing was changed.
 */
export class CashlinkIntentNotAwaitingResolutionError extends CashlinkError {
  constructor(
    readonly idempotencyKey: string,
    readonly state: CashlinkIntentState,
    /** The resolution already recorded, if any. */
    readonly resolution?: CashlinkIntentResolutionView,
  ) {
    super(
      resolution
        ? `The intent ${idempotencyKey} was already resolved (${resolution.action} by ${resolution.actor} at ${resolution.createdAt.toISOString()}); nothing was changed.`
        : `The intent ${idempotencyKey} is ${state}, not waiting for a person (only expired and needs_review intents are resolved); nothing was changed.`,
    );
  }
}

/**
 * The object named as "created" is not one this intent can have created: Cashlink does not know it
 * (404), or it does not fit the request (another investor for a PATCH). Nothing was changed.
 */
export class CashlinkReconcileCandidateError extends CashlinkError {
  constructor(
    readonly idempotencyKey: string,
    readonly objectId: string,
    why: string,
  ) {
    super(`${objectId} cannot be the object of intent ${idempotencyKey}: ${why}. Nothing was changed.`);
  }
}

/**
 * Cashlink offers no way to read back what this operation creates (no list or detail endpoint for
 * documents, identifications or wallets), so "created" cannot be checked: resolve it as `send_again`
 * or `abandoned`. Nothing was changed.
 */
export class CashlinkReconcileUnsupportedError extends CashlinkError {
  constructor(
    readonly idempotencyKey: string,
    readonly operation: string,
  ) {
    super(
      `Cashlink has no endpoint to look up what ${operation} creates, so intent ${idempotencyKey} cannot be resolved as created; resolve it as send_again or abandoned. Nothing was changed.`,
    );
  }
}

/** The resolution is malformed (unknown action, no actor, no reason, no object id). Nothing was changed. */
export class CashlinkResolutionInputError extends CashlinkError {}
