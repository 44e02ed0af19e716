// Owned by the webhooks feature (issue 5). STUB: the shape will grow; keep the resolver signature.

/** The webhook receiver. `false` (the default) mounts nothing. */
export interface CashlinkWebhooksOptions {
  /** Placeholder until the webhooks feature lands. */
  path?: string;
}

export interface ResolvedWebhooksOptions {
  enabled: boolean;
  path: string;
}

/** Merges defaults and pushes one line per invalid option onto `problems`. */
export function resolveWebhooksOptions(
  input: CashlinkWebhooksOptions | false | undefined,
  _problems: string[],
): ResolvedWebhooksOptions {
  if (!input) return { enabled: false, path: 'cashlink/webhooks' };
  return { enabled: true, path: input.path ?? 'cashlink/webhooks' };
}
