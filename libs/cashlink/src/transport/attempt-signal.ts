/**
 * What the transport needs of a signal: an `AbortSignal` has this shape, and so has `AttemptSignal`.
 * undici accepts any object with it (it checks for `addEventListener`, reads `aborted` and `reason`).
 */
export interface TransportSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * The abort signal of one attempt: fired by the attempt's deadline or by the caller's own signal. An
 * `AbortController` and its `AbortSignal` (a full `EventTarget`) cost several µs per call for the
 * one or two listeners undici adds and removes; this keeps them in an array. It fires once.
 */
export class AttemptSignal implements TransportSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> | null = null;

  addEventListener(_type: 'abort', listener: () => void): void {
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const at = this.listeners?.indexOf(listener) ?? -1;
    if (at >= 0) this.listeners!.splice(at, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners) for (const listener of listeners) listener();
  }
}
