import { createHash } from 'node:crypto';
import {
  context,
  createNoopMeter,
  INVALID_SPAN_CONTEXT,
  metrics,
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type Link,
  type MeterProvider,
  type Span,
  type SpanContext,
  type TracerProvider,
} from '@opentelemetry/api';

/**
 * OpenTelemetry for the library, through `@opentelemetry/api` only: without an SDK registered by
 * the app every call here is the API's no-op. Attributes are chosen so that none can hold a secret,
 * a token, a key in clear or personal data: path templates instead of paths (ids could be personal),
 * hashed idempotency keys, error class names instead of messages (messages can quote input).
 */
export const CASHLINK_INSTRUMENTATION_SCOPE = 'nestjs-cashlink';

const tracer = () => trace.getTracer(CASHLINK_INSTRUMENTATION_SCOPE);

/** The API's own no-op provider: what the global proxy delegates to until an app registers an SDK. */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();

/**
 * Whether an app registered a tracer provider (checked per call: it may register one after the module
 * started). Without one, spans are skipped before any attribute is built: an idempotency key's hash
 * or a span object per call costs a call that nobody traces.
 */
function tracing(): boolean {
  const provider = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  return (provider.getDelegate ? provider.getDelegate() : provider) !== NOOP_TRACER_PROVIDER;
}

/** The span `inSpan` hands to its function when nothing is traced (the API's non-recording span). */
const UNTRACED_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

interface Instruments {
  calls: Counter;
  retries: Counter;
  duration: Histogram;
  tokenFetches: Counter;
  intents: Counter;
  inbox: Counter;
  lag: Histogram;
}

// A meter taken before the app registers its SDK stays a no-op for good (the API has no proxy for
// meters), so instruments are created per meter provider, on first use after it was registered. A
// provider whose meters are the API's no-op maps to null: nothing is measured, nothing is built.
const instrumentsByProvider = new WeakMap<MeterProvider, Instruments | null>();
/** The API's no-op meter (one shared instance): what a provider without an SDK hands out. */
const NOOP_METER = createNoopMeter();

function instruments(): Instruments | null {
  const provider = metrics.getMeterProvider();
  let found = instrumentsByProvider.get(provider);
  if (found === undefined) {
    const meter = provider.getMeter(CASHLINK_INSTRUMENTATION_SCOPE);
    if (meter === NOOP_METER) {
      instrumentsByProvider.set(provider, null);
      return null;
    }
    found = {
      calls: meter.createCounter('cashlink.client.calls', {
        description: 'Calls to the Cashlink API (one per attempt), by outcome',
      }),
      retries: meter.createCounter('cashlink.client.retries', {
        description: 'Retries of Cashlink API calls, by reason',
      }),
      duration: meter.createHistogram('http.client.request.duration', {
        description: 'Duration of one HTTP attempt to the Cashlink API',
        unit: 's',
      }),
      tokenFetches: meter.createCounter('cashlink.token.fetches', {
        description: 'OAuth access tokens fetched from Cashlink, by outcome',
      }),
      intents: meter.createCounter('cashlink.intents', {
        description: 'Durable write intents entering a state (recorded, succeeded, failed, pending, expired)',
      }),
      inbox: meter.createCounter('cashlink.webhook.inbox', {
        description:
          'Webhook inbox rows entering a state (stored, duplicate, quarantined, processed, retry, dead)',
      }),
      lag: meter.createHistogram('cashlink.webhook.dispatch.lag', {
        description: 'Time from a webhook being stored to its dispatch attempt',
        unit: 's',
      }),
    };
    instrumentsByProvider.set(provider, found);
  }
  return found;
}

/** Literal segments of Cashlink API paths; any other segment is an id and becomes `{id}`. */
const LITERAL_SEGMENTS = new Set([
  'v2',
  'investors',
  'investments',
  'products',
  'campaigns',
  'documents',
  'identifications',
  'wallets',
  'eth-managed',
  'eth-generic',
]);

/** `/v2/investors/4f…/` → `/v2/investors/{id}/`: low cardinality, and no id in telemetry. */
export function pathTemplate(path: string): string {
  // Segment by segment without split/map/join: it runs on every call.
  let template = '';
  let from = 0;
  for (;;) {
    const slash = path.indexOf('/', from);
    const segment = slash < 0 ? path.slice(from) : path.slice(from, slash);
    template += segment === '' || LITERAL_SEGMENTS.has(segment) ? segment : '{id}';
    if (slash < 0) return template;
    template += '/';
    from = slash + 1;
  }
}

/**
 * The metric attributes of one kind of call, built once and looked up by template, method and status
 * (or outcome, without a status) rather than built per call: there are few kinds, and a call should
 * cost no allocation here.
 */
type CallAttributes = { calls: Attributes; duration: Attributes };
const callAttributes = new Map<string, Map<string, Map<number | string, CallAttributes>>>();
const MAX_TEMPLATES = 1000;

function attributesOfCall(
  method: string,
  template: string,
  status: number | undefined,
  outcome: string,
): CallAttributes {
  let byMethod = callAttributes.get(template);
  if (!byMethod) {
    byMethod = new Map();
    // Templates are few (ids become `{id}`); the bound only keeps an odd caller from growing the map.
    if (callAttributes.size < MAX_TEMPLATES) callAttributes.set(template, byMethod);
  }
  let byResult = byMethod.get(method);
  if (!byResult) byMethod.set(method, (byResult = new Map()));
  const result = status ?? outcome;
  let found = byResult.get(result);
  if (!found) {
    const duration: Attributes = { 'http.request.method': method, 'url.template': template };
    if (status !== undefined) duration['http.response.status_code'] = status;
    found = { calls: { ...duration, 'cashlink.outcome': outcome }, duration };
    byResult.set(result, found);
  }
  return found;
}

/** A short, one-way digest of an idempotency key: correlates spans without exposing the key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** The class name of a thrown value, for `error.type` (never its message). */
export function errorType(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}

/** One HTTP attempt to the Cashlink API, as an OpenTelemetry client span. */
export interface CashlinkClientSpan {
  /** Ends the span with the answer's status (and Cashlink's request id), or the failure. */
  end(result: { status?: number; requestId?: string; error?: unknown }): void;
}

/** The client span of a call that nobody traces or measures (no SDK registered). */
const UNOBSERVED_CALL: CashlinkClientSpan = { end: () => undefined };

export function startClientSpan(input: {
  method: string;
  path: string;
  url: string;
  resendCount: number;
}): CashlinkClientSpan {
  const traced = tracing();
  const ins = instruments();
  if (!traced && !ins) return UNOBSERVED_CALL;
  const template = pathTemplate(input.path);
  let span: Span | undefined;
  if (traced) {
    const attributes: Attributes = {
      'http.request.method': input.method,
      'url.template': template,
      'cashlink.attempt': input.resendCount + 1,
    };
    if (input.resendCount > 0) attributes['http.request.resend_count'] = input.resendCount;
    span = tracer().startSpan(`${input.method} ${template}`, { kind: SpanKind.CLIENT, attributes });
    // The URL is parsed only for a recorded span (a sampler may drop it).
    if (span.isRecording()) {
      const url = new URL(input.url);
      span.setAttributes({
        'url.scheme': url.protocol.replace(':', ''),
        'server.address': url.hostname,
        'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
      });
    }
  }
  const started = performance.now();
  return {
    end: ({ status, requestId, error }) => {
      const outcome =
        status !== undefined && status >= 200 && status < 300
          ? 'success'
          : status !== undefined
            ? 'http_error'
            : errorType(error);
      if (span) {
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        if (requestId) span.setAttribute('cashlink.request_id', requestId);
        if (outcome !== 'success') {
          const type = status !== undefined ? String(status) : errorType(error);
          span.setAttribute('error.type', type);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      }
      if (ins) {
        const attributes = attributesOfCall(input.method, template, status, outcome);
        ins.calls.add(1, attributes.calls);
        ins.duration.record((performance.now() - started) / 1000, attributes.duration);
      }
    },
  };
}

/** A retry the HTTP client decided on (`reason`: the status or the error class that caused it). */
export function countRetry(method: string, path: string, reason: string): void {
  instruments()?.retries.add(1, {
    'http.request.method': method,
    'url.template': pathTemplate(path),
    'cashlink.retry.reason': reason,
  });
}

export function countTokenFetch(outcome: 'success' | 'failure'): void {
  instruments()?.tokenFetches.add(1, { 'cashlink.outcome': outcome });
}

/** Span attributes of an intent: its operation, attempt and hashed key (never the key itself). */
export function intentAttributes(
  intent: { key: string; operation: string; attempts: number },
  state?: string,
): Attributes {
  const attributes: Attributes = {
    'cashlink.operation': intent.operation,
    'cashlink.intent.key_hash': hashKey(intent.key),
    'cashlink.intent.attempt': intent.attempts,
  };
  if (state) attributes['cashlink.intent.state'] = state;
  return attributes;
}

export function countIntent(state: string, operation: string): void {
  instruments()?.intents.add(1, { 'cashlink.intent.state': state, 'cashlink.operation': operation });
}

export function countInbox(state: string): void {
  instruments()?.inbox.add(1, { 'cashlink.webhook.state': state });
}

/**
 * Runs `fn` in an internal span (a child of the active one), ending it with `fn`'s outcome.
 * `describe` adds attributes from the result (e.g. the state an intent settled in). Attributes that
 * cost something to build (a hashed key) are best given as a function: it runs only when traced.
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes | (() => Attributes),
  fn: (span: Span) => Promise<T>,
  options: { kind?: SpanKind; links?: Link[]; root?: boolean; describe?: (result: T) => Attributes } = {},
): Promise<T> {
  // Nothing traces: no span, no context, and attributes given as a function are never built.
  if (!tracing()) return fn(UNTRACED_SPAN);
  return tracer().startActiveSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      attributes: typeof attributes === 'function' ? attributes() : attributes,
      links: options.links,
      root: options.root,
    },
    async (span) => {
      try {
        const result = await fn(span);
        if (options.describe) span.setAttributes(options.describe(result));
        return result;
      } catch (error) {
        span.setAttribute('error.type', errorType(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

// The receive span of each webhook stored by this process, until its dispatch links to it. Only
// in memory (the inbox has no column for it): a row dispatched by another instance, or after a
// restart, has a dispatch span without the link. Bounded, oldest first out.
const receiveSpans = new Map<string, SpanContext>();
const MAX_REMEMBERED_RECEIVES = 10_000;

/** Counts a receipt and, for a stored change, remembers the active (receive) span for its dispatch. */
export function recordReceipt(outcome: string, inboxId: string): void {
  countInbox(outcome);
  // Untraced, there is no receive span of ours to link to.
  if (outcome !== 'stored' || !tracing()) return;
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return;
  receiveSpans.delete(inboxId);
  receiveSpans.set(inboxId, spanContext);
  if (receiveSpans.size > MAX_REMEMBERED_RECEIVES) {
    receiveSpans.delete(receiveSpans.keys().next().value!);
  }
}

/** The webhook receive span (SERVER) around one delivery: `fn` answers the request. */
export async function traceWebhookReceive(route: string, fn: (span: Span) => Promise<number>): Promise<void> {
  // A new trace: Cashlink sends no trace context, and a caller's traceparent must not be trusted
  // to join our traces. Untraced too (`inSpan` then runs `fn` at once): a propagator the app installed
  // without a tracer could have made a caller's traceparent active, and nothing of the delivery may
  // run in it.
  await context.with(trace.deleteSpan(context.active()), () =>
    inSpan(
      `POST /${route}`,
      () => ({ 'http.request.method': 'POST', 'http.route': `/${route}` }),
      async (span) => {
        const status = await fn(span);
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        return status;
      },
      { kind: SpanKind.SERVER },
    ),
  );
}

/** The dispatch of one inbox row (CONSUMER span, linked to its receive span when known here). */
export async function traceWebhookDispatch(
  row: { id: string; status: string | null; attempts: number; receivedAt: number },
  fn: () => Promise<boolean>,
): Promise<boolean> {
  const linked = receiveSpans.get(row.id);
  instruments()?.lag.record(Math.max(0, Date.now() - row.receivedAt) / 1000);
  return inSpan(
    'cashlink.webhook dispatch',
    () => ({
      'messaging.operation.type': 'process',
      'messaging.system': 'cashlink.webhook_inbox',
      'cashlink.webhook.inbox_id': row.id,
      'cashlink.webhook.status': row.status ?? '',
      'cashlink.webhook.attempt': row.attempts,
    }),
    async () => {
      const processed = await fn();
      if (processed) {
        receiveSpans.delete(row.id);
        countInbox('processed');
      }
      return processed;
    },
    {
      kind: SpanKind.CONSUMER,
      // A trace of its own, linked to the delivery, whatever context the dispatch runs in (a round run
      // on demand runs in its caller's; the loop's own rounds run in the context it was created in).
      root: true,
      links: linked ? [{ context: linked }] : [],
      describe: (processed) => ({ 'cashlink.webhook.processed': processed }),
    },
  );
}
