// Owned by the idempotency feature (issue 4). STUB: the shape will grow; keep the resolver signature.

/** Durable idempotent writes (see README "Durable idempotency"). `false` sends writes without storing intents. */
export interface CashlinkIdempotencyOptions {
  /** Placeholder until the intents feature lands. */
  maxAgeMs?: number;
}

export interface ResolvedIdempotencyOptions {
  enabled: boolean;
  maxAgeMs: number;
}

/** Merges defaults and pushes one line per invalid option onto `problems`. */
export function resolveIdempotencyOptions(
  input: CashlinkIdempotencyOptions | false | undefined,
  _problems: string[],
): ResolvedIdempotencyOptions {
  if (input === false) return { enabled: false, maxAgeMs: 0 };
  return { enabled: true, maxAgeMs: input?.maxAgeMs ?? 23 * 60 * 60 * 1000 };
}
