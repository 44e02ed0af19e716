import { randomUUID } from 'node:crypto';
import { context, metrics, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { CashlinkInvestorsService } from 'nestjs-cashlink';
import { exampleInvestorInput, startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import {
  inSpan,
  startClientSpan,
  traceWebhookReceive,
} from '../../libs/cashlink/src/telemetry/cashlink-telemetry';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { startWebhooksTestApp, type WebhooksTestApp } from '../webhooks/fixtures/webhooks-test-app';
import { waitFor } from '../webhooks/support';

jest.setTimeout(60_000);

const BEARER = 'w'.repeat(48);

// The app's side: an SDK with in-memory exporters, registered globally as an app would.
const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
});
const meterProvider = new MeterProvider({ readers: [reader] });

async function collectMetrics(): Promise<MetricData[]> {
  metricExporter.reset();
  await reader.forceFlush();
  return metricExporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
}

function sumOf(all: MetricData[], name: string, match: Record<string, unknown> = {}): number {
  const metric = all.find((m) => m.descriptor.name === name);
  if (!metric) return 0;
  return (metric.dataPoints as Array<{ attributes: Record<string, unknown>; value: unknown }>)
    .filter((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v))
    .reduce(
      (total, p) => total + (typeof p.value === 'number' ? p.value : (p.value as { count: number }).count),
      0,
    );
}

// Runs first, before any SDK is registered: the library then records nothing and costs nothing.
test('without an SDK, every span is the API no-op', async () => {
  const client = startClientSpan({
    method: 'GET',
    path: '/v2/investors/x/',
    url: 'http://127.0.0.1:9/v2/investors/x/',
    resendCount: 0,
  });
  client.end({ status: 200 });
  const recording = await inSpan('probe', {}, async (span) => span.isRecording());
  expect(recording).toBe(false);
  // Attributes given as a function (a hashed idempotency key) are not even built.
  let built = 0;
  const attributes = () => {
    built++;
    return { 'cashlink.intent.key_hash': 'x' };
  };
  await expect(inSpan('probe', attributes, async () => 'done')).resolves.toBe('done');
  expect(built).toBe(0);
});

// Also before any SDK: an app with a context manager (and, say, a propagator) but no tracer.
test("without a tracer, a webhook delivery still runs outside the caller's trace context", async () => {
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  try {
    const callers = trace.wrapSpanContext({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: TraceFlags.SAMPLED,
    });
    let seen: string | undefined;
    await context.with(trace.setSpan(ROOT_CONTEXT, callers), () =>
      traceWebhookReceive('cashlink/webhooks', async () => {
        seen = trace.getActiveSpan()?.spanContext().traceId;
        return 200;
      }),
    );
    expect(seen).not.toBe('a'.repeat(32));
  } finally {
    context.disable();
  }
});

describe('OpenTelemetry (in-memory exporters)', () => {
  let db: TestDatabase;
  let emu: CashlinkEmulator;
  let app: WebhooksTestApp;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(tracerProvider);
    metrics.setGlobalMeterProvider(meterProvider);
    db = await createTestDatabase('sqlite');
    emu = await startCashlinkEmulator();
    app = await startWebhooksTestApp({
      db: db.options,
      cashlink: {
        baseUrl: emu.baseUrl,
        tokenUrl: emu.tokenUrl,
        clientId: emu.clientId,
        clientSecret: emu.clientSecret,
      },
      webhooks: {
        auth: { type: 'bearer', tokens: [BEARER] },
        dispatch: { intervalMs: 50, backoff: { initialDelayMs: 20, maxDelayMs: 100 } },
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await emu?.close();
    await db?.drop();
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
    trace.disable();
    metrics.disable();
    context.disable();
  });

  it('traces calls, intents and webhooks, counts them, and never exports a secret or personal data', async () => {
    const investors = app.app.get(CashlinkInvestorsService);
    const input = exampleInvestorInput();
    const email = `erika.${randomUUID()}@example.com`;
    input.communication = { email, email_confirmed: true };
    // One 503 first: the write is retried with the same key (a resend span and a retry count).
    emu.injectFault({ route: 'POST /v2/investors/', kind: 'server_error', status: 503, count: 1 });
    const key = `customer-${randomUUID()}`;
    const investor = await investors.create(input, { idempotencyKey: key });
    await investors.get(investor.id);

    const change = { investment_id: randomUUID(), status: 'ACCEPTED', changed_at: new Date().toISOString() };
    const res = await fetch(`${app.origin}/cashlink/webhooks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${BEARER}` },
      body: JSON.stringify(change),
    });
    expect(res.status).toBe(200);
    await waitFor(() => app.recorder.changes.some((c) => c.investmentId === change.investment_id), 10_000);
    await waitFor(
      () => spans.getFinishedSpans().some((s) => s.name === 'cashlink.webhook dispatch'),
      10_000,
      'dispatch span',
    );

    const finished = spans.getFinishedSpans();
    const named = (name: string) => finished.filter((s) => s.name === name);

    // Client spans: HTTP semantic conventions, the path template, the attempt, Cashlink's request id.
    const creates = named('POST /v2/investors/');
    expect(creates.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 201]);
    expect(creates[0]!.kind).toBe(SpanKind.CLIENT);
    expect(creates[1]!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.template': '/v2/investors/',
      'server.address': '127.0.0.1',
      'http.request.resend_count': 1,
      'cashlink.attempt': 2,
    });
    expect(creates[0]!.attributes['error.type']).toBe('503');
    const get = named('GET /v2/investors/{id}/');
    expect(get).toHaveLength(1);
    expect(get[0]!.attributes['url.template']).toBe('/v2/investors/{id}/');
    expect(typeof get[0]!.attributes['cashlink.request_id']).toBe('string');

    // The intent: record → send (the parent of the client spans) → settle, in one trace.
    const [record] = named('cashlink.intent.record');
    const [send] = named('cashlink.intent.send');
    const settles = named('cashlink.intent.settle');
    expect(record && send).toBeTruthy();
    expect(settles.map((s) => s.attributes['cashlink.intent.state'])).toContain('succeeded');
    expect(creates.every((c) => c.parentSpanContext?.spanId === send!.spanContext().spanId)).toBe(true);
    expect(send!.attributes['cashlink.operation']).toBe('investors.create');
    expect(record!.attributes['cashlink.intent.key_hash']).toMatch(/^[0-9a-f]{16}$/);

    // Webhooks: a server span per delivery, a consumer span per dispatch linked to it.
    const receive = named('POST /cashlink/webhooks');
    expect(receive).toHaveLength(1);
    expect(receive[0]!.kind).toBe(SpanKind.SERVER);
    expect(receive[0]!.attributes['http.response.status_code']).toBe(200);
    const dispatch = named('cashlink.webhook dispatch');
    expect(dispatch[0]!.kind).toBe(SpanKind.CONSUMER);
    expect(dispatch[0]!.links.map((l) => l.context.spanId)).toEqual([receive[0]!.spanContext().spanId]);
    // A trace of its own: linked to the delivery, not a child of it (the dispatcher may be woken from
    // inside the receive span's context).
    expect(dispatch[0]!.spanContext().traceId).not.toBe(receive[0]!.spanContext().traceId);

    const all = await collectMetrics();
    expect(
      sumOf(all, 'cashlink.client.calls', {
        'url.template': '/v2/investors/',
        'cashlink.outcome': 'success',
      }),
    ).toBe(1);
    expect(sumOf(all, 'cashlink.client.calls', { 'cashlink.outcome': 'http_error' })).toBe(1);
    expect(sumOf(all, 'cashlink.client.retries', { 'cashlink.retry.reason': '503' })).toBe(1);
    expect(sumOf(all, 'cashlink.token.fetches', { 'cashlink.outcome': 'success' })).toBeGreaterThanOrEqual(1);
    expect(sumOf(all, 'cashlink.intents', { 'cashlink.intent.state': 'recorded' })).toBe(1);
    expect(sumOf(all, 'cashlink.intents', { 'cashlink.intent.state': 'succeeded' })).toBe(1);
    expect(sumOf(all, 'cashlink.webhook.inbox', { 'cashlink.webhook.state': 'stored' })).toBe(1);
    expect(sumOf(all, 'cashlink.webhook.inbox', { 'cashlink.webhook.state': 'processed' })).toBe(1);
    expect(sumOf(all, 'cashlink.webhook.dispatch.lag')).toBe(1);
    expect(sumOf(all, 'http.client.request.duration')).toBeGreaterThanOrEqual(3);

    // No attribute, of any span or data point, holds a secret, a token, the key or personal data.
    const values = [
      ...finished.flatMap((s) => [s.name, ...Object.values(s.attributes)]),
      ...all.flatMap((m) =>
        (m.dataPoints as Array<{ attributes: Record<string, unknown> }>).flatMap((p) =>
          Object.values(p.attributes),
        ),
      ),
    ].map(String);
    const person = input.natural_person!;
    const forbidden = [
      emu.clientSecret,
      BEARER,
      key,
      email,
      investor.id,
      person.forename!,
      person.surname!,
      person.birth_date!,
      person.street!,
      'DE89370400440532013000',
      ...emu.requests().flatMap((r) => {
        const auth = (r as { headers?: Record<string, string> }).headers?.authorization;
        return auth ? [auth.replace(/^Bearer /, '')] : [];
      }),
    ];
    for (const secret of forbidden) {
      expect(values.filter((v) => v.includes(secret))).toEqual([]);
    }
    expect(values.length).toBeGreaterThan(50);
  });
});
