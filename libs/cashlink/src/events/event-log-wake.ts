/**
 * Wakes the event log's dispatcher (after a change was stored), without the receiver depending on the
 * event log itself (which reads the inbox and the intents, so sits above them).
 */
export interface CashlinkEventLogWake {
  kick(): void;
}

export const CASHLINK_EVENT_LOG_WAKE = Symbol('CASHLINK_EVENT_LOG_WAKE');
