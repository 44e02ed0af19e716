import { SetMetadata } from '@nestjs/common';

export const CASHLINK_EVENT_HANDLER = Symbol('CASHLINK_EVENT_HANDLER');

/** Options of `@OnCashlinkEvent`. */
export interface OnCashlinkEventOptions {
  /**
   * The handler receives `(event, manager)`: an `EntityManager` of a transaction in which the library
   * also records this handler's delivery as done. Its writes through `manager` and the mark commit
   * together or not at all: exactly once, across crashes, database outages and instances. Anything
   * else it does (an e-mail, a call) is at least once, as for a non-transactional handler.
   * @default false
   */
  transactional?: boolean;
  /**
   * The stable name its delivery state is stored under. Keep it when you rename the class or method
   * (a new name is a new handler: it receives every event still pending).
   * @default `${ClassName}.${methodName}`
   */
  name?: string;
  /**
   * Attempts before this handler's delivery of an event is `dead` (then redispatch it once fixed).
   * @default `events.dispatch.maxAttempts` (8)
   */
  maxAttempts?: number;
}

/** What `@OnCashlinkEvent` stores on a method. */
export interface CashlinkEventHandlerMetadata {
  events: string[];
  options: OnCashlinkEventOptions;
}

/**
 * Delivers events of the library's durable event log to a provider method, with its own delivery
 * state (attempts, backoff, dead, redispatch): a handler that fails is retried alone.
 *
 * ```ts
 * @OnCashlinkEvent(CASHLINK_EVENTS.investmentStatusChanged, { transactional: true })
 * async onChange(event: InvestmentStatusChangedEvent, manager: EntityManager) {
 *   await manager.insert(Payment, { investmentId: event.investmentId, status: event.status });
 * }
 * ```
 *
 * Events: `CASHLINK_EVENTS.investmentStatusChanged`, the per-status `cashlink.investment.<status>`,
 * and `cashlink.intent.succeeded` / `.failed` / `.expired`. Several names may be given (an array).
 */
export function OnCashlinkEvent(
  event: string | string[],
  options: OnCashlinkEventOptions = {},
): MethodDecorator {
  const metadata: CashlinkEventHandlerMetadata = {
    events: Array.isArray(event) ? event : [event],
    options,
  };
  return SetMetadata(CASHLINK_EVENT_HANDLER, metadata);
}
