/**
 * A Nest app using the library, in its own process, for the benchmarks. It boots on a given database
 * and emulator and answers commands over IPC: run N library calls or N plain HTTP calls (the same-run
 * baselines), paginate, count dispatched webhooks and settled intents.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { Session } from 'node:inspector/promises';
import {
  Inject,
  Injectable,
  Module,
  RequestMethod,
  type INestApplication,
  type MiddlewareConsumer,
  type NestMiddleware,
  type NestModule,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2, EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { request as undiciRequest } from 'undici';
import {
  CASHLINK_EVENTS,
  CASHLINK_MIGRATIONS,
  CashlinkIntentsService,
  CashlinkInvestmentsService,
  CashlinkWebhooksService,
  CashlinkModule,
  OnCashlinkEvent,
  type CashlinkInvestment,
  type InvestmentStatusChangedEvent,
} from 'nestjs-cashlink';
import { EMULATOR_CAMPAIGN_ID, testEncryptionKeys } from 'nestjs-cashlink/testing';
// Internal files, on purpose: the baseline route must authenticate and parse exactly as the receiver does.
import { createWebhookAuthenticator } from '../../libs/cashlink/src/webhooks/auth/webhook-authenticator.factory';
import { readRequestBody, type WebhookRequest } from '../../libs/cashlink/src/webhooks/webhook-http';
import { parseStatusChange } from '../../libs/cashlink/src/webhooks/webhook-status-change';
import {
  BASELINE_WEBHOOK_PATH,
  BENCH_WEBHOOK_TOKEN,
  WEBHOOK_PATH,
  type EmulatorInfo,
} from './bench-constants';
import { serveCommands } from './child';
import { SQLITE_SYNCHRONOUS, SQLITE_WAL, type BenchDatabaseOptions } from './databases';
import { runConcurrent, summarise, type RoundStats } from './stats';

export interface BootOptions {
  db: BenchDatabaseOptions;
  emulator: EmulatorInfo;
  /** Listen on HTTP (webhook receiver and its baseline). */
  listen?: boolean;
  /** Mount the webhook receiver (with its inbox and dispatcher). @default true */
  webhooks?: boolean;
  /** Run the webhook dispatcher and the event-log dispatcher in this process. @default true */
  dispatch?: boolean;
  /** Run the intent recovery worker in this process. @default false */
  recovery?: boolean;
  /** Instance id (lease owner) of this process. */
  instanceId?: string;
  /**
   * The dispatch listener reads the changed investment from Cashlink before it counts the change, as an
   * app that acts on a status change does (with a remote Cashlink, each change then waits on the network).
   */
  listenerReadsInvestment?: boolean;
  /** Encrypt stored personal data (a test key ring); `false` stores it in clear. @default true */
  encryption?: boolean;
  /**
   * The events case: a handler that inserts one row per change into `bench_effects`, as a plain
   * `@OnEvent` listener (what apps write today) or as a transactional `@OnCashlinkEvent` handler.
   */
  handler?: 'plain' | 'transactional';
}

const BOOT = Symbol('BENCH_BOOT');

/** The events case's handlers: one row per change, the same insert either way. */
@Injectable()
class EffectHandlers {
  constructor(
    @Inject(BOOT) private readonly options: BootOptions,
    private readonly dataSource: DataSource,
  ) {}

  private insert(runner: DataSource | EntityManager, event: InvestmentStatusChangedEvent): Promise<unknown> {
    const pg = this.dataSource.options.type === 'postgres';
    return runner.query(`INSERT INTO bench_effects (inbox_id, status) VALUES (${pg ? '$1, $2' : '?, ?'})`, [
      event.inboxId,
      event.status,
    ]);
  }

  @OnEvent(CASHLINK_EVENTS.investmentStatusChanged, { suppressErrors: false })
  async plain(event: InvestmentStatusChangedEvent): Promise<void> {
    if (this.options.handler === 'plain') await this.insert(this.dataSource, event);
  }

  @OnCashlinkEvent(CASHLINK_EVENTS.investmentStatusChanged, { transactional: true, name: 'bench.tx' })
  async transactional(event: InvestmentStatusChangedEvent, manager: EntityManager): Promise<void> {
    if (this.options.handler === 'transactional') await this.insert(manager, event);
  }
}

/**
 * The baseline of the webhook case: the same authentication (the library's own authenticator, same
 * tokens) and the same body reading and validation, then 204 with nothing stored.
 */
@Injectable()
class BaselineWebhookMiddleware implements NestMiddleware {
  private readonly authenticator = createWebhookAuthenticator({
    type: 'bearer',
    tokens: [BENCH_WEBHOOK_TOKEN],
  });

  async use(req: WebhookRequest, res: ServerResponse): Promise<void> {
    const auth = await this.authenticator.authenticate(req.headers.authorization);
    if (!auth.ok) {
      res.statusCode = 401;
      res.end();
      return;
    }
    const body = await readRequestBody(req, 65536);
    if (body.kind === 'too_large') {
      res.statusCode = 413;
      res.end();
      return;
    }
    const value = body.kind === 'parsed' ? body.value : (JSON.parse(body.text) as unknown);
    const parsed = parseStatusChange(value);
    res.statusCode = parsed.ok ? 204 : 400;
    res.end();
  }
}

/** Counts events in this process: the first and last time one was seen, and how many. */
class EventCounter {
  count = 0;
  firstAt = 0;
  lastAt = 0;
  private waiters: Array<{ target: number; resolve: () => void }> = [];

  hit(): void {
    // Sub-millisecond, and comparable across processes (first and last event of several apps).
    const now = performance.timeOrigin + performance.now();
    if (this.count === 0) this.firstAt = now;
    this.count++;
    this.lastAt = now;
    this.waiters = this.waiters.filter((w) => {
      if (this.count < w.target) return true;
      w.resolve();
      return false;
    });
  }

  waitFor(target: number, timeoutMs: number): Promise<void> {
    if (this.count >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.count} of ${target} events within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

let app: INestApplication | undefined;
let boot: BootOptions | undefined;
let rawToken: string | undefined;
const dispatched = new EventCounter();
const settled = new EventCounter();

function moduleFor(options: BootOptions, persistence = true) {
  @Module({
    imports: [
      EventEmitterModule.forRoot(),
      ...(persistence
        ? [
            TypeOrmModule.forRoot({
              ...options.db,
              ...(options.db.type === 'better-sqlite3' && SQLITE_WAL
                ? {
                    prepareDatabase: (db: { pragma(source: string): unknown }) => {
                      db.pragma(`synchronous = ${SQLITE_SYNCHRONOUS}`);
                    },
                  }
                : {}),
              autoLoadEntities: true,
              migrations: CASHLINK_MIGRATIONS,
              migrationsRun: true,
              synchronize: false,
              logging: false,
            }),
          ]
        : []),
      CashlinkModule.forRoot({
        baseUrl: options.emulator.baseUrl,
        tokenUrl: options.emulator.tokenUrl,
        clientId: options.emulator.clientId,
        clientSecret: options.emulator.clientSecret,
        idempotency: {
          recovery: options.recovery ? { intervalMs: 20 } : false,
          ...(options.instanceId ? { instanceId: options.instanceId } : {}),
        },
        webhooks:
          persistence && options.webhooks !== false
            ? {
                path: WEBHOOK_PATH,
                auth: { type: 'bearer', tokens: [BENCH_WEBHOOK_TOKEN] },
                dispatch: { enabled: options.dispatch ?? true },
              }
            : false,
        // A receive-only instance delivers neither the inbox nor the event log: another instance does.
        ...(persistence ? { events: { dispatch: { enabled: options.dispatch ?? true } } } : {}),
        persistence,
        encryption: options.encryption === false ? false : testEncryptionKeys(),
      }),
    ],
    providers: options.handler ? [{ provide: BOOT, useValue: options }, EffectHandlers] : [],
  })
  class BenchAppModule implements NestModule {
    configure(consumer: MiddlewareConsumer): void {
      consumer
        .apply(BaselineWebhookMiddleware)
        .forRoutes({ path: BASELINE_WEBHOOK_PATH, method: RequestMethod.POST });
    }
  }
  return BenchAppModule;
}

function investmentInput(investorId: string) {
  return {
    investor_id: investorId,
    campaign_id: EMULATOR_CAMPAIGN_ID,
    units: 1,
    signed_at: new Date().toISOString(),
  };
}

async function token(): Promise<string> {
  if (rawToken) return rawToken;
  const e = boot!.emulator;
  const res = await fetch(e.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: e.clientId,
      client_secret: e.clientSecret,
    }),
  });
  if (!res.ok) throw new Error(`token request answered ${res.status}`);
  rawToken = ((await res.json()) as { access_token: string }).access_token;
  return rawToken;
}

/** Headers and body of a plain call: the fixed token, JSON, and the idempotency key of a write. */
async function rawRequest(
  body?: unknown,
  key?: string,
): Promise<{ headers: Record<string, string>; body?: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${await token()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (key) headers['x-idempotency-key'] = key;
  return { headers, body: body === undefined ? undefined : JSON.stringify(body) };
}

async function rawJson(method: 'GET' | 'POST', url: string, body?: unknown, key?: string): Promise<unknown> {
  const res = await fetch(url, { method, ...(await rawRequest(body, key)) });
  const data = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`${method} answered ${res.status}`);
  return data;
}

/** The same call on undici's `request()`, the HTTP client the library itself uses: its raw cost. */
async function rawUndici(
  method: 'GET' | 'POST',
  url: string,
  body?: unknown,
  key?: string,
): Promise<unknown> {
  const res = await undiciRequest(url, { method, ...(await rawRequest(body, key)) });
  const data = (await res.body.json()) as unknown;
  if (res.statusCode >= 300) throw new Error(`${method} answered ${res.statusCode}`);
  return data;
}

/** A plain call with no library: `fetch` (what an app would write by hand) or undici's `request()`. */
function rawCall(client: RawClient) {
  return client === 'undici' ? rawUndici : rawJson;
}

type RawClient = 'fetch' | 'undici';

/**
 * Retained heap while a loop runs: every `everyPages` pages a full GC (`--expose-gc`) and a reading
 * of `heapUsed`, so that garbage not yet collected does not count as growth. Both loops (the
 * library's and the baseline) pay the same GCs.
 */
function heapSampler(everyPages = 100) {
  global.gc?.();
  const start = process.memoryUsage().heapUsed;
  let peak = start;
  let pages = 0;
  return {
    page: () => {
      if (++pages % everyPages !== 0) return;
      global.gc?.();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    },
    growthMb: () => (peak - start) / 1024 / 1024,
  };
}

const investments = () => app!.get(CashlinkInvestmentsService);

/** The CPU profiler of this process, while a window is profiled (`profileStart` / `profileStop`). */
let profiler: Session | null = null;

serveCommands(
  {
    boot: async (options: BootOptions) => {
      boot = options;
      app = await NestFactory.create(moduleFor(options), { logger: ['error'], abortOnError: false });
      const events = app.get(EventEmitter2);
      events.on(
        CASHLINK_EVENTS.investmentStatusChanged,
        options.listenerReadsInvestment
          ? async (event: InvestmentStatusChangedEvent) => {
              await investments().get(event.investmentId);
              dispatched.hit();
            }
          : () => dispatched.hit(),
      );
      events.on(CASHLINK_EVENTS.intentSucceeded, () => settled.hit());
      events.on(CASHLINK_EVENTS.intentFailed, () => settled.hit());
      events.on(CASHLINK_EVENTS.intentExpired, () => settled.hit());
      if (options.listen) {
        await app.listen(0, '127.0.0.1');
        const address = app.getHttpServer().address() as { port: number };
        return { port: address.port };
      }
      await app.init();
      return {};
    },

    read: async ({
      n,
      concurrency,
      id,
      raw,
      client = 'fetch',
      maxDurationMs,
    }: {
      n: number;
      concurrency: number;
      id: string;
      raw: boolean;
      client?: RawClient;
      maxDurationMs?: number;
    }) => {
      const url = `${boot!.emulator.baseUrl}/v2/investments/${id}/`;
      const call = raw ? () => rawCall(client)('GET', url) : () => investments().get(id);
      await runConcurrent(concurrency * 4, concurrency, call); // warm-up
      return summarise(await runConcurrent(n, concurrency, call, maxDurationMs));
    },

    create: async ({
      n,
      concurrency,
      investorId,
      raw,
      client = 'fetch',
      maxDurationMs,
    }: {
      n: number;
      concurrency: number;
      investorId: string;
      raw: boolean;
      client?: RawClient;
      maxDurationMs?: number;
    }): Promise<RoundStats> => {
      const url = `${boot!.emulator.baseUrl}/v2/investments/`;
      const call = raw
        ? () => rawCall(client)('POST', url, investmentInput(investorId), randomUUID())
        : () => investments().create(investmentInput(investorId));
      await runConcurrent(concurrency * 2, concurrency, call); // warm-up
      return summarise(await runConcurrent(n, concurrency, call, maxDurationMs));
    },

    paginate: async ({
      pageSize,
      raw,
      client = 'fetch',
    }: {
      pageSize: number;
      raw: boolean;
      client?: RawClient;
    }) => {
      const heap = heapSampler();
      const started = performance.now();
      let items = 0;
      if (raw) {
        let next: string | null = `${boot!.emulator.baseUrl}/v2/investments/?page_size=${pageSize}`;
        while (next) {
          const page = (await rawCall(client)('GET', next)) as {
            next: string | null;
            results: CashlinkInvestment[];
          };
          items += page.results.length;
          next = page.next;
          heap.page();
        }
      } else {
        for await (const item of investments().all({ page_size: pageSize })) {
          void item;
          items++;
          if (items % pageSize === 0) heap.page();
        }
      }
      const elapsedMs = performance.now() - started;
      return { items, elapsedMs, heapGrowthMb: heap.growthMb() };
    },

    /** 1,000 concurrent first calls on a fresh module (no token yet): how many token requests? */
    singleFlight: async ({ calls, id }: { calls: number; id: string }) => {
      const fresh = await NestFactory.createApplicationContext(moduleFor(boot!, false), {
        logger: ['error'],
        abortOnError: false,
      });
      try {
        const service = fresh.get(CashlinkInvestmentsService);
        const run = await runConcurrent(calls, calls, () => service.get(id));
        return { calls, errors: run.errors, elapsedMs: run.elapsedMs, firstError: run.firstError };
      } finally {
        await fresh.close();
      }
    },

    /** Waits until `target` webhooks were dispatched (or intents settled) in this process. */
    waitEvents: async ({
      kind,
      target,
      timeoutMs,
    }: {
      kind: 'dispatch' | 'intents';
      target: number;
      timeoutMs: number;
    }) => {
      const counter = kind === 'dispatch' ? dispatched : settled;
      await counter.waitFor(target, timeoutMs);
      return { count: counter.count, firstAt: counter.firstAt, lastAt: counter.lastAt };
    },

    /** Starts profiling this process's CPU (one window at a time: see BENCH_PROFILE_WINDOWS). */
    profileStart: async () => {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return {};
    },

    /** Ends the window and writes its profile (`.cpuprofile`, for DevTools or bench/profile-summary.ts). */
    profileStop: async ({ file }: { file: string }) => {
      if (!profiler) throw new Error('no profile window is open');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = null;
      writeFileSync(file, JSON.stringify(profile));
      return { file };
    },

    /**
     * Drains the backlog now through the public services (`CashlinkWebhooksService.dispatchDue()`,
     * `CashlinkIntentsService.resumeDue()`), until nothing is due: the instances case starts every
     * process's drain with one IPC call each, at the same moment, on apps booted with their background
     * loops off (so none starts while another is still booting).
     */
    drainNow: async ({ what }: { what: 'dispatch' | 'intents' }) => {
      let total = 0;
      for (;;) {
        const done =
          what === 'dispatch'
            ? await app!.get(CashlinkWebhooksService).dispatchDue()
            : (await app!.get(CashlinkIntentsService).resumeDue()).claimed;
        if (done === 0) return { total };
        total += done;
      }
    },

    counts: () => ({
      dispatched: { count: dispatched.count, firstAt: dispatched.firstAt, lastAt: dispatched.lastAt },
      settled: { count: settled.count, firstAt: settled.firstAt, lastAt: settled.lastAt },
    }),
  },
  async () => {
    await app?.close();
  },
);
