import { Logger } from '@nestjs/common';

/** When the token endpoint stops answering a client that keeps sending wrong credentials. */
export interface AuthThrottleSettings {
  /** Failed attempts within `blockMs` after which a client is refused with 429. */
  maxFailures: number;
  /** How long a client stays refused (and the window its failures are counted in). */
  blockMs: number;
}

interface ClientFailures {
  count: number;
  /** Epoch ms of the first counted failure (the window starts there). */
  since: number;
  blockedUntil: number;
}

/** Clients tracked at most; the oldest are forgotten first, so that a flood of addresses cannot fill the memory. */
const MAX_CLIENTS = 10_000;

/**
 * Failed webhook authentications: one warn line per `logIntervalMs` at most, with the counts since the
 * last line (a flood of wrong tokens is visible without flooding the log), never a token, secret or
 * client id; and, for the token endpoint, a per-client block after repeated failures (a secret cannot
 * be guessed at network speed). A client is its remote address, as the socket sees it.
 */
export class WebhookAuthFailureGuard {
  private readonly logger = new Logger('CashlinkWebhooks');
  private readonly clients = new Map<string, ClientFailures>();
  private pending = {
    failures: 0,
    blocked: 0,
    clients: new Set<string>(),
    reasons: new Map<string, number>(),
  };
  private lastLogAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly throttle: AuthThrottleSettings | false,
    private readonly logIntervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Ms the client must still wait before its next token request, or 0. */
  blockedForMs(client: string): number {
    const entry = this.clients.get(client);
    if (!entry) return 0;
    const left = entry.blockedUntil - this.now();
    if (left > 0) {
      this.note(client, 'blocked');
      return left;
    }
    return 0;
  }

  /** Counts a failure (`where`: e.g. `receiver: invalid_token`), blocking the client when `throttled`. */
  failed(client: string, where: string, throttled: boolean): void {
    this.note(client, where);
    if (!throttled || this.throttle === false) return;
    const now = this.now();
    let entry = this.clients.get(client);
    if (!entry || now - entry.since > this.throttle.blockMs) {
      entry = { count: 0, since: now, blockedUntil: 0 };
      this.clients.delete(client);
      if (this.clients.size >= MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
      this.clients.set(client, entry);
    }
    entry.count++;
    if (entry.count >= this.throttle.maxFailures) entry.blockedUntil = now + this.throttle.blockMs;
  }

  /** A successful authentication clears the client's failures. */
  succeeded(client: string): void {
    this.clients.delete(client);
  }

  /** Stops the pending summary line's timer (shutdown). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  private note(client: string, reason: string): void {
    if (reason === 'blocked') this.pending.blocked++;
    else this.pending.failures++;
    this.pending.clients.add(client);
    this.pending.reasons.set(reason, (this.pending.reasons.get(reason) ?? 0) + 1);
    const now = this.now();
    if (now - this.lastLogAt >= this.logIntervalMs) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.flush();
        },
        this.lastLogAt + this.logIntervalMs - now,
      );
      this.timer.unref();
    }
  }

  private flush(): void {
    const p = this.pending;
    if (p.failures + p.blocked === 0) return;
    const reasons = [...p.reasons.entries()].map(([reason, n]) => `${reason} ×${n}`).join(', ');
    this.logger.warn(
      `Webhook authentication failed ${p.failures} time(s)` +
        (p.blocked > 0 ? `, ${p.blocked} token request(s) refused while throttled` : '') +
        ` from ${p.clients.size} address(es) (${reasons}). Check the credentials Cashlink uses; repeated failures may be an attack.`,
    );
    this.lastLogAt = this.now();
    this.pending = { failures: 0, blocked: 0, clients: new Set(), reasons: new Map() };
  }
}
