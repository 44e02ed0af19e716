import { CashlinkError } from '../errors/cashlink.error';
import type { CashlinkIntentState } from './cashlink-intent.entity';

/**
 * The intent was not settled within `idempotency.maxAgeMs` (or cannot be resent after a crash, see
 * `reason`), so the library stopped sending it: Cashlink may or may not have acted on it. Reconcile it
 * (look the object up at Cashlink, e.g. by listing investments) before doing anything else; a new
 * request needs a new idempotency key.
 */
export class CashlinkIntentExpiredError extends CashlinkError {
  constructor(
    readonly idempotencyKey: string,
    /** Why the intent expired. */
    readonly reason: string,
  ) {
    super(
      `The durable write with idempotency key ${idempotencyKey} expired and will not be sent again: ${reason}. Reconcile it with Cashlink.`,
    );
  }
}

/**
 * A repeat of a key whose intent settled long ago: retention (`idempotency.retentionMs`) purged its
 * stored outcome and kept only a tombstone. Nothing was sent: the write happened once (see
 * `originalState`), and sending it again could act twice. Look the object up at Cashlink if you need
 * it; a new request needs a new idempotency key.
 */
export class CashlinkIntentPurgedError extends CashlinkError {
  constructor(
    readonly idempotencyKey: string,
    /** How the intent settled before its outcome was purged. */
    readonly originalState: Exclude<CashlinkIntentState, 'pending'>,
    /** When its outcome was purged. */
    readonly purgedAt: Date,
  ) {
    super(
      `The write with idempotency key ${idempotencyKey} is settled; its outcome was purged on ${purgedAt.toISOString()} ` +
        `(idempotency.retentionMs); the original outcome was ${originalState}. Nothing was sent: use a new key for a new request.`,
    );
  }
}

/**
 * A repeat of a key whose personal data was erased (`CashlinkDataProtectionService.eraseIntent` or
 * `eraseInvestor`). Nothing was sent: the key stays known so that the write can never happen twice,
 * but its request and outcome are gone. An intent erased before it was settled is never sent
 * (`originalState` is then `expired`); look the object up at Cashlink if you need it.
 */
export class CashlinkIntentErasedError extends CashlinkError {
  constructor(
    readonly idempotencyKey: string,
    /** The intent's state when it was erased (`expired` for one erased before it settled). */
    readonly originalState: Exclude<CashlinkIntentState, 'pending'>,
    /** When its personal data was erased. */
    readonly erasedAt: Date,
  ) {
    super(
      `The write with idempotency key ${idempotencyKey} had its personal data erased on ${erasedAt.toISOString()}; ` +
        `its state is ${originalState}. Nothing was sent: use a new key for a new request.`,
    );
  }
}

/**
 * The transaction passed as `{ manager }` rolled back (or the intent's savepoint did): the intent was
 * not stored and nothing was sent to Cashlink.
 */
export class CashlinkIntentRolledBackError extends CashlinkError {
  constructor(readonly idempotencyKey: string) {
    super(
      `The transaction that recorded the write with idempotency key ${idempotencyKey} rolled back; nothing was sent to Cashlink.`,
    );
  }
}

/**
 * Another instance (or another call in this process) is sending this intent right now and did not
 * finish while this call waited. The outcome arrives as a `cashlink.intent.*` event; a later repeat of
 * the key returns it.
 */
export class CashlinkIntentInProgressError extends CashlinkError {
  constructor(readonly idempotencyKey: string) {
    super(
      `The write with idempotency key ${idempotencyKey} is being sent by another worker; repeat the call later with the same key to get its outcome.`,
    );
  }
}

/** The intent settled `failed` with an error that was not an answer from Cashlink (rebuilt from storage). */
export class CashlinkIntentFailedError extends CashlinkError {
  constructor(
    readonly idempotencyKey: string,
    /** Class name of the original error. */
    readonly originalName: string,
    message: string,
  ) {
    super(message);
  }
}
