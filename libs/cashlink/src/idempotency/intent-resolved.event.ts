import type { CashlinkIntentResolutionView } from './cashlink-reconciliation.types';

/**
 * Payload of `CASHLINK_EVENTS.intentResolved`: a person's decision about an intent whose outcome was
 * unknown, emitted once the resolution committed.
 *
 * ```ts
 * @OnEvent(CASHLINK_EVENTS.intentResolved)
 * onResolved(event: IntentResolvedEvent) { if (event.resolution.action === 'send_again') ... event.resolution.newKey }
 * ```
 */
export class IntentResolvedEvent {
  constructor(
    /** The resolved intent's key (your own id when you passed one). */
    readonly key: string,
    /** The library operation, e.g. `investments.create`. */
    readonly operation: string,
    /** Who decided what, when and why; `newKey` for send_again, `objectId` for created. */
    readonly resolution: CashlinkIntentResolutionView,
  ) {}
}
