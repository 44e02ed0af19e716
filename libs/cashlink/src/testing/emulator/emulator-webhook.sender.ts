import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { nowMs } from './emulator-http';
import type {
  EmulatorReleaseOrder,
  EmulatorWebhookConfig,
  EmulatorWebhookDelivery,
  EmulatorWebhookPayload,
} from './emulator.types';

interface CachedToken {
  token: string;
  expiresAtMs: number;
}

/** Assumed retry schedule (Cashlink does not document one): exponential from 200 ms up to 30 s. */
const DEFAULT_INITIAL_DELAY_MS = 200;
const DEFAULT_MAX_DELAY_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Sends status changes as webhooks (contract §5): `POST url` with `{investment_id, status, changed_at}`,
 * authenticated by a static bearer token or an OAuth token fetched from the receiver's token URL,
 * retried with exponential backoff until the receiver answers 2xx. Deliveries run concurrently.
 */
export class EmulatorWebhookSender {
  private config: EmulatorWebhookConfig | null = null;
  /** Bumped by configure/reset: loops of an older generation stop. */
  private generation = 0;
  private readonly attempts: EmulatorWebhookDelivery[] = [];
  private held: EmulatorWebhookPayload[] | null = null;
  private duplicatesLeft = 0;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private cachedToken: CachedToken | null = null;
  private readonly sleepers = new Set<AbortController>();
  private generationAbort = new AbortController();

  /** Sets the target (validated; throws with a readable message) and stops deliveries to the old one. */
  configure(config: EmulatorWebhookConfig | null): void {
    if (config) validateConfig(config);
    this.config = config;
    this.cachedToken = null;
    this.stopRunning();
  }

  /** Reports one status change: queued while held, else delivered (twice if duplicates are due). */
  notify(payload: EmulatorWebhookPayload): void {
    if (!this.config) return;
    const copies = this.duplicatesLeft > 0 ? 2 : 1;
    if (this.duplicatesLeft > 0) this.duplicatesLeft -= 1;
    for (let i = 0; i < copies; i += 1) {
      if (this.held) this.held.push(payload);
      else void this.deliver(payload);
    }
  }

  hold(): void {
    this.held ??= [];
  }

  /** Sends the held changes one after another in the given order, then stops holding. */
  release(order: EmulatorReleaseOrder = 'fifo'): Promise<void> {
    const queue = this.held ?? [];
    this.held = null;
    if (order === 'reverse') queue.reverse();
    if (order === 'shuffle') {
      for (let i = queue.length - 1; i > 0; i -= 1) {
        const j = Math.floor(Math.random() * (i + 1));
        [queue[i], queue[j]] = [queue[j]!, queue[i]!];
      }
    }
    // One after another, so that the receiver sees exactly the chosen order.
    this.inFlight += 1;
    const run = (async () => {
      for (const payload of queue) await this.deliver(payload);
    })().finally(() => this.settle());
    return run;
  }

  duplicateNext(count: number): void {
    this.duplicatesLeft += count;
  }

  deliveries(): EmulatorWebhookDelivery[] {
    return this.attempts.map((a) => ({ ...a, payload: { ...a.payload } }));
  }

  /** Changes waiting in the hold queue. */
  heldCount(): number {
    return this.held?.length ?? 0;
  }

  /** Resolves when no delivery is running (held changes do not count); rejects after `timeoutMs`. */
  idle(timeoutMs = 10_000): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        reject(
          new Error(`Webhook deliveries still pending after ${timeoutMs} ms (${this.inFlight} running)`),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.idleWaiters.push(done);
    });
  }

  /** Stops every running delivery and forgets configuration, queue and history. */
  reset(): void {
    this.configure(null);
    this.attempts.length = 0;
    this.held = null;
    this.duplicatesLeft = 0;
  }

  private settle(): void {
    this.inFlight -= 1;
    if (this.inFlight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Ends the current generation: running loops stop, their pauses and HTTP calls are aborted. */
  private stopRunning(): void {
    this.generation += 1;
    this.generationAbort.abort();
    this.generationAbort = new AbortController();
    for (const controller of this.sleepers) controller.abort();
    this.sleepers.clear();
  }

  private async pause(ms: number): Promise<void> {
    const controller = new AbortController();
    this.sleepers.add(controller);
    try {
      await sleep(ms, undefined, { signal: controller.signal });
    } catch {
      // Aborted by configure/reset/close: the loop sees the new generation and stops.
    } finally {
      this.sleepers.delete(controller);
    }
  }

  private async deliver(payload: EmulatorWebhookPayload): Promise<void> {
    const config = this.config;
    if (!config) return;
    const generation = this.generation;
    const deliveryId = randomUUID();
    const initial = config.retryInitialDelayMs ?? DEFAULT_INITIAL_DELAY_MS;
    const max = config.retryMaxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    this.inFlight += 1;
    try {
      for (let attempt = 1; ; attempt += 1) {
        if (generation !== this.generation) return;
        const outcome = await this.attempt(config, deliveryId, attempt, payload);
        if (outcome === 'ok') return;
        // A 401 with a cached OAuth token: fetch a new token and retry at once.
        if (outcome === 'retry_now') continue;
        if (generation !== this.generation) return;
        await this.pause(Math.min(max, initial * 2 ** Math.min(attempt - 1, 30)));
      }
    } finally {
      this.settle();
    }
  }

  private async attempt(
    config: EmulatorWebhookConfig,
    deliveryId: string,
    attempt: number,
    payload: EmulatorWebhookPayload,
  ): Promise<'ok' | 'retry' | 'retry_now'> {
    const record: EmulatorWebhookDelivery = {
      deliveryId,
      attempt,
      url: config.url,
      payload,
      tokenFetched: false,
      startedAt: nowMs(),
      endedAt: 0,
    };
    this.attempts.push(record);
    const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    let usedCachedToken = false;
    try {
      let token: string;
      if (config.auth.type === 'bearer') {
        token = config.auth.token;
      } else if (this.cachedToken && this.cachedToken.expiresAtMs > Date.now()) {
        token = this.cachedToken.token;
        usedCachedToken = true;
      } else {
        token = await this.fetchToken(config, timeoutMs);
        record.tokenFetched = true;
      }
      const response = await fetch(config.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(payload),
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.generationAbort.signal]),
      });
      await response.arrayBuffer().catch(() => undefined);
      record.responseStatus = response.status;
      if (response.status >= 200 && response.status < 300) return 'ok';
      if (response.status === 401 && config.auth.type === 'oauth2') {
        this.cachedToken = null;
        return usedCachedToken ? 'retry_now' : 'retry';
      }
      return 'retry';
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      return 'retry';
    } finally {
      record.endedAt = nowMs();
    }
  }

  private async fetchToken(config: EmulatorWebhookConfig, timeoutMs: number): Promise<string> {
    if (config.auth.type !== 'oauth2') throw new Error('not oauth2');
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: config.auth.clientId,
      client_secret: config.auth.clientSecret,
    });
    if (config.auth.scope) form.set('scope', config.auth.scope);
    const response = await fetch(config.auth.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.generationAbort.signal]),
    });
    const text = await response.text();
    if (response.status < 200 || response.status >= 300) {
      throw new Error(`Token endpoint answered ${response.status}`);
    }
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error('Token endpoint answered no JSON');
    }
    if (typeof body.access_token !== 'string') throw new Error('Token endpoint answered no access_token');
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 300;
    // Renew a little early so that a token does not expire on the way.
    this.cachedToken = {
      token: body.access_token,
      expiresAtMs: Date.now() + Math.max(0, lifetime - 5) * 1000,
    };
    return body.access_token;
  }

  /** Stops everything for shutdown. */
  close(): void {
    this.stopRunning();
  }
}

function validateConfig(config: EmulatorWebhookConfig): void {
  const problems: string[] = [];
  const isUrl = (value: unknown): boolean => {
    try {
      return typeof value === 'string' && /^https?:$/.test(new URL(value).protocol);
    } catch {
      return false;
    }
  };
  if (!isUrl(config.url)) problems.push('url must be an http(s) URL');
  const auth = config.auth as Partial<Record<string, unknown>> | undefined;
  if (auth?.type === 'bearer') {
    if (typeof auth.token !== 'string' || auth.token === '')
      problems.push('auth.token must be a non-empty string');
  } else if (auth?.type === 'oauth2') {
    if (!isUrl(auth.tokenUrl)) problems.push('auth.tokenUrl must be an http(s) URL');
    if (typeof auth.clientId !== 'string') problems.push('auth.clientId must be a string');
    if (typeof auth.clientSecret !== 'string') problems.push('auth.clientSecret must be a string');
  } else {
    problems.push("auth.type must be 'bearer' or 'oauth2'");
  }
  for (const key of ['retryInitialDelayMs', 'retryMaxDelayMs', 'timeoutMs'] as const) {
    const value = config[key];
    if (value !== undefined && !(typeof value === 'number' && value >= 0))
      problems.push(`${key} must be a number >= 0`);
  }
  if (problems.length > 0) throw new Error(`Invalid webhook configuration: ${problems.join('; ')}`);
}
