import type { CashlinkIntentState } from './cashlink-intent.entity';
import type { CashlinkIntentResolutionAction } from './cashlink-intent-resolution.entity';

export type { CashlinkIntentResolutionAction };

/** An object at Cashlink that an intent may have created. */
export interface CashlinkReconcileCandidate {
  /** Cashlink's id of the object. */
  id: string;
  /** The request fields the object has with the same value (e.g. `investor_id`, `units`). */
  matched: string[];
  /** The object's `created_at`, when Cashlink gives one. */
  createdAt?: string;
  /** The object as Cashlink returned it (may hold personal data: mask before showing). */
  object: unknown;
}

/** What `reconcile(key)` found at Cashlink. */
export interface CashlinkReconciliation {
  key: string;
  operation: string;
  state: CashlinkIntentState;
  /**
   * How Cashlink was asked: `list` (its list endpoint, newest pages first, matched on the request's
   * fields in the time window), `get` (the object the request names, e.g. the investor of a PATCH), or
   * `none` (Cashlink has no endpoint to read it back: see `note`).
   */
  lookup: 'list' | 'get' | 'none';
  /** Objects created in this window are considered (from the intent's recording to its last attempt, plus skew). */
  window: { from: Date; to: Date };
  candidates: CashlinkReconcileCandidate[];
  /** Objects read at Cashlink. */
  scanned: number;
  /** False when the scan stopped at `maxPages` before reaching objects older than the window. */
  complete: boolean;
  note?: string;
}

/** Options of `reconcile`. */
export interface CashlinkReconcileOptions {
  /** Clock skew allowed on both ends of the window. @default 300000 (5 minutes) */
  skewMs?: number;
  /** Pages of 100 read at most, newest first. @default 10 */
  maxPages?: number;
}

/** A person's decision about an intent whose outcome was unknown. */
export type CashlinkResolutionInput =
  | { action: 'created'; objectId: string; actor: string; reason: string }
  | { action: 'send_again'; actor: string; reason: string; newKey?: string }
  | { action: 'abandoned'; actor: string; reason: string };

/** A recorded resolution. */
export interface CashlinkIntentResolutionView {
  id: string;
  key: string;
  action: CashlinkIntentResolutionAction;
  actor: string;
  reason: string;
  previousState: CashlinkIntentState;
  objectId: string | null;
  newKey: string | null;
  createdAt: Date;
}

/** What `resolve` did. */
export interface CashlinkResolutionResult {
  resolution: CashlinkIntentResolutionView;
  /** The intent's state now: `succeeded`, `replaced` or `abandoned`. */
  state: CashlinkIntentState;
  /** For `send_again`: how the new key's first attempt went (it stays pending for recovery on a transient failure). */
  newIntent?: { key: string; state: CashlinkIntentState; error?: string };
}
