/**
 * The root of every error the library throws. Catch this to handle anything from nestjs-cashlink.
 *
 * Messages say what happened and what to do; they never contain secrets, tokens or investor
 * personal data (request bodies are never copied into a message).
 */
export class CashlinkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The module options are invalid; the message lists every invalid option and how to fix it. */
export class CashlinkConfigError extends CashlinkError {
  constructor(
    /** One line per invalid option. */
    readonly problems: readonly string[],
  ) {
    super(`Invalid nestjs-cashlink options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** The request could not reach Cashlink or the connection broke before an answer arrived. */
export class CashlinkNetworkError extends CashlinkError {
  constructor(
    message: string,
    readonly method: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No answer arrived within the configured timeout (`http.timeoutMs` or the per-call `timeoutMs`). */
export class CashlinkTimeoutError extends CashlinkNetworkError {}

/**
 * The same idempotency key was used for a different request (another operation, path or body).
 * Nothing was sent. Use a fresh key for a new request, or repeat the original request exactly.
 */
export class IdempotencyConflictError extends CashlinkError {
  constructor(
    readonly idempotencyKey: string,
    message = `Idempotency key ${idempotencyKey} was already used for a different request; nothing was sent. ` +
      'Use a new key for a new request, or repeat the original request unchanged.',
  ) {
    super(message);
  }
}
