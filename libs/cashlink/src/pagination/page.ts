/** One page of a Cashlink list endpoint (DRF pagination), oldest first. */
export interface Page<T> {
  /** Total number of items across all pages. */
  count: number;
  /** Absolute URL of the next page, or null on the last page. */
  next: string | null;
  /** Absolute URL of the previous page, or null on the first page. */
  previous: string | null;
  results: T[];
}

/**
 * Query of a list endpoint. `page` (1-based) and `page_size` (assumed default 20, max 100) are
 * Cashlink's assumed parameters; other filters pass through unchanged.
 */
export interface CashlinkListQuery {
  page?: number;
  page_size?: number;
  [filter: string]: string | number | boolean | undefined;
}

/** Options every read accepts. */
export interface CashlinkRequestOptions {
  /** Deadline of one attempt, in ms. @default `http.timeoutMs` */
  timeoutMs?: number;
  /** Cancels the call and its retries. */
  signal?: AbortSignal;
  /** Retries of this call. @default `http.maxRetries` */
  maxRetries?: number;
}
