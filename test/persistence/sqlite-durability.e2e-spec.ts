/**
 * SQLite durability of the library's own writes. better-sqlite3 gives
 * synchronous=NORMAL to a connection that opens a database already in WAL mode, and then SQLite does
 * not sync commits: a power loss could take back a webhook answered 2xx or an intent already sent. The
 * library then syncs the write-ahead log itself (off the event loop) and resolves its writes, answers
 * webhooks and sends intents held by the app's transaction only after that sync. Real files, real
 * better-sqlite3, real HTTP; the sync is gated (then really done) to see what waits for it.
 */
import { randomUUID } from 'node:crypto';
import { fstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CashlinkInvestmentsService, CashlinkInvestorsService } from 'nestjs-cashlink';
import {
  EMULATOR_CAMPAIGN_ID,
  exampleInvestorInput,
  startCashlinkEmulator,
  type CashlinkEmulator,
} from 'nestjs-cashlink/testing';
import { CashlinkError } from '../../libs/cashlink/src/errors/cashlink.error';
import { SqliteGroupCommit } from '../../libs/cashlink/src/persistence/sqlite-group-commit';
import { fdatasyncFile, WalSync } from '../../libs/cashlink/src/persistence/sqlite-wal-sync';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { FAST_IDEMPOTENCY, startDurableApp } from '../idempotency/support/durable-app';
import { startWebhooksTestApp } from '../webhooks/fixtures/webhooks-test-app';

jest.setTimeout(60_000);

// The `node:fs` module object itself (an `import * as` namespace would be a copy): the library calls
// `fdatasync` through it, so a spy on it sees the library's syncs.
const fs = jest.requireActual<typeof import('node:fs')>('node:fs');
const realFdatasync = fs.fdatasync;

/**
 * A log sync whose every call waits for its own gate (`release(n)`, the n-th call from 0, or `open()`
 * for all, now and later), then really syncs; it records what it was asked to sync.
 */
function gatedSync() {
  const paths: string[] = [];
  const gates: Array<() => void> = [];
  let allOpen = false;
  return {
    paths,
    sync: async (path: string) => {
      paths.push(path);
      if (!allOpen) await new Promise<void>((resolve) => gates.push(resolve));
      await fdatasyncFile(path);
    },
    release: (n: number) => gates[n]!(),
    open: () => {
      allOpen = true;
      for (const gate of gates) gate();
    },
  };
}

/** Polls `check` every 5 ms (never a fixed wait for something to happen). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let turn = 0; !(await check()); turn++) {
    if (turn > 2000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const settledWithin = async (promise: Promise<unknown>, ms: number): Promise<boolean> => {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setTimeout(resolve, ms));
  return settled;
};

async function openWal(db: TestDatabase, synchronous: string): Promise<DataSource> {
  const dataSource = new DataSource({
    ...db.options,
    enableWAL: true,
    prepareDatabase: (handle: { pragma(source: string): unknown }) => {
      handle.pragma(`synchronous = ${synchronous}`);
    },
    entities: [],
    logging: false,
  } as ConstructorParameters<typeof DataSource>[0]);
  await dataSource.initialize();
  return dataSource;
}

describe('SQLite durability of the library writes [sqlite]', () => {
  let db: TestDatabase;
  let dataSource: DataSource | undefined;

  beforeEach(async () => {
    db = await createTestDatabase('sqlite');
  });
  afterEach(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    dataSource = undefined;
    await db.drop();
    jest.restoreAllMocks();
  });

  it('better-sqlite3 opens a database already in WAL mode with synchronous=NORMAL (why the library syncs)', async () => {
    // The first connection switches the new file to WAL (FULL stays); the second opens it in WAL mode.
    for (const expected of [2, 1]) {
      const connection = new DataSource({ ...db.options, enableWAL: true } as ConstructorParameters<
        typeof DataSource
      >[0]);
      await connection.initialize();
      expect(await connection.query('PRAGMA synchronous')).toEqual([{ synchronous: expected }]);
      await connection.destroy();
    }
  });

  describe('WAL with synchronous=NORMAL', () => {
    beforeEach(async () => {
      dataSource = await openWal(db, 'NORMAL');
      await dataSource.query('CREATE TABLE "a" ("id" INTEGER PRIMARY KEY, "n" INTEGER NOT NULL)');
    });

    it('resolves a write only after the log is synced: committed before, durable after', async () => {
      const gated = gatedSync();
      const group = SqliteGroupCommit.of(dataSource!);
      group.useFileSync(gated.sync);
      const write = group.run('INSERT INTO "a" ("id", "n") VALUES (1, 1)', []);
      expect(await settledWithin(write, 100)).toBe(false);
      expect(await dataSource!.query('SELECT "id" FROM "a"')).toEqual([{ id: 1 }]);
      gated.open();
      await expect(write).resolves.toBe(1);
      expect(gated.paths).toEqual([`${db.url}-wal`]);
    });

    it('the groups committed while a sync runs share the next one, which starts after them', async () => {
      const gated = gatedSync();
      const group = SqliteGroupCommit.of(dataSource!);
      group.useFileSync(gated.sync);
      const writes = [group.run('INSERT INTO "a" ("id", "n") VALUES (1, 1)', [])];
      await until(() => gated.paths.length === 1, 'the first sync');
      // Three more groups (one per event-loop turn), all committed while the first sync waits.
      for (let i = 2; i <= 4; i++) {
        writes.push(group.run('INSERT INTO "a" ("id", "n") VALUES (?, 1)', [i]));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect(await dataSource!.query('SELECT COUNT(*) AS "n" FROM "a"')).toEqual([{ n: 4 }]);
      gated.release(0);
      await expect(writes[0]).resolves.toBe(1);
      // The first sync may have started before their commits: they wait for the second.
      await until(() => gated.paths.length === 2, 'the second sync');
      expect(await settledWithin(Promise.any(writes.slice(1)), 50)).toBe(false);
      gated.release(1);
      await expect(Promise.all(writes)).resolves.toEqual([1, 1, 1, 1]);
      expect(gated.paths).toHaveLength(2);
    });

    it('resolves a write that need not wait for the disk at its commit (durable: false)', async () => {
      const gated = gatedSync();
      const group = SqliteGroupCommit.of(dataSource!);
      group.useFileSync(gated.sync);
      const durable = group.run('INSERT INTO "a" ("id", "n") VALUES (1, 1)', []);
      const mark = group.run('INSERT INTO "a" ("id", "n") VALUES (2, 1)', [], { durable: false });
      await expect(mark).resolves.toBe(1);
      await until(() => gated.paths.length === 1, 'the sync');
      expect(await settledWithin(durable, 20)).toBe(false);
      gated.open();
      await expect(durable).resolves.toBe(1);
      // A group of such writes alone asks for no sync at all.
      await group.run('INSERT INTO "a" ("id", "n") VALUES (3, 1)', [], { durable: false });
      expect(gated.paths).toHaveLength(1);
    });

    it('rejects a write queued before the connection was closed, instead of failing the process', async () => {
      const group = SqliteGroupCommit.of(dataSource!);
      const write = group.run('INSERT INTO "a" ("id", "n") VALUES (1, 1)', []);
      await dataSource!.destroy();
      const outcome = await write.then(
        (value) => `resolved ${String(value)}`,
        (error: { message?: unknown }) => String(error.message),
      );
      // Either the driver's "not open" or null (the DataSource is no longer better-sqlite3): never a hang.
      expect(outcome).toMatch(/not open|resolved null/);
    });

    it('by default fdatasyncs the log through a descriptor opened for the run of syncs, then closed', async () => {
      const walPath = `${db.url}-wal`;
      const openLogs = () =>
        readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`) === walPath;
          } catch {
            return false; // closed meanwhile (the directory's own descriptor)
          }
        });
      // better-sqlite3 keeps its own descriptor of the log: only ours come and go.
      const before = openLogs().length;
      const synced: string[] = [];
      const fdatasync = jest.spyOn(fs, 'fdatasync').mockImplementation(((
        fd: number,
        callback: () => void,
      ) => {
        synced.push(readlinkSync(`/proc/self/fd/${fd}`));
        return realFdatasync(fd, callback);
      }) as typeof fs.fdatasync);
      const group = SqliteGroupCommit.of(dataSource!);
      await expect(group.run('INSERT INTO "a" ("id", "n") VALUES (1, 1)', [])).resolves.toBe(1);
      await expect(group.run('INSERT INTO "a" ("id", "n") VALUES (2, 1)', [])).resolves.toBe(1);
      expect(fdatasync).toHaveBeenCalledTimes(2);
      expect(synced).toEqual([walPath, walPath]);
      expect(openLogs()).toHaveLength(before);
    });

    it('syncs the log that is there now when the app switched the journal mode away and back during a run of syncs', async () => {
      const group = SqliteGroupCommit.of(dataSource!);
      const synced: number[] = [];
      let held: (() => void) | undefined;
      jest.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, callback: (error: unknown) => void) => {
        synced.push(fstatSync(fd).ino);
        // The first sync is held back, so that the run of syncs goes on while the log is replaced.
        if (synced.length === 1) held = () => realFdatasync(fd, callback);
        else realFdatasync(fd, callback);
      }) as typeof fs.fdatasync);
      const first = group.run('INSERT INTO "a" ("id", "n") VALUES (1, 1)', []);
      for (let turn = 0; !held && turn < 100; turn++) await new Promise((resolve) => setTimeout(resolve, 5));
      const second = group.run('INSERT INTO "a" ("id", "n") VALUES (2, 1)', []);
      await new Promise((resolve) => setTimeout(resolve, 20)); // committed, waiting for the next sync
      const oldLog = statSync(`${db.url}-wal`).ino;
      await dataSource!.query('PRAGMA journal_mode = DELETE');
      await dataSource!.query('PRAGMA journal_mode = WAL');
      await dataSource!.query('INSERT INTO "a" ("id", "n") VALUES (3, 1)'); // the new log exists once written
      const newLog = statSync(`${db.url}-wal`).ino;
      expect(newLog).not.toBe(oldLog);
      held!();
      await expect(Promise.all([first, second])).resolves.toEqual([1, 1]);
      expect(synced).toEqual([oldLog, newLog]);
    });

    it('a failed sync fails the writes with a CashlinkError naming the cause (the row is committed), and refuses every durable write after it', async () => {
      const group = SqliteGroupCommit.of(dataSource!);
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      let syncs = 0;
      group.useFileSync(() => {
        syncs++;
        return syncs === 1
          ? Promise.reject(Object.assign(new Error('I/O error'), { code: 'EIO' }))
          : Promise.resolve();
      });
      const write = group.run('INSERT INTO "a" ("id", "n") VALUES (1, 1)', []);
      await expect(write).rejects.toThrow(CashlinkError);
      await expect(write).rejects.toThrow(/could not be flushed to disk \(EIO\)/);
      // A statement that failed on its own keeps its own error. (Read from the rejection, not with
      // `toThrow`: better-sqlite3's error class comes from the first test file of this Jest worker.)
      const failed = await group
        .run('INSERT INTO "a" ("id", "n") VALUES (2, NULL)', [], { durable: false })
        .then(
          () => 'resolved',
          (error: { message?: unknown }) => String(error.message),
        );
      expect(failed).toMatch(/NOT NULL/);
      // Final: a later sync that succeeds would prove nothing about the pages the failed one lost.
      await expect(group.run('INSERT INTO "a" ("id", "n") VALUES (3, 1)', [])).rejects.toThrow(
        /could not be flushed to disk \(EIO\)/,
      );
      expect(syncs).toBe(1);
      // Writes that need not wait for the disk go on.
      await expect(
        group.run('INSERT INTO "a" ("id", "n") VALUES (4, 1)', [], { durable: false }),
      ).resolves.toBe(1);
      // The refused write was not made (a retry with a new key must not leave row after row).
      expect(await dataSource!.query('SELECT "id" FROM "a" ORDER BY "id"')).toEqual([{ id: 1 }, { id: 4 }]);
      const errors = logged.mock.calls.filter(([message]) =>
        String(message).includes('write-ahead log failed'),
      );
      expect(errors).toHaveLength(1);
    });

    it.each(['FULL', 'EXTRA'])(
      'under synchronous=%s it commits its group under NORMAL, syncs the log itself off the loop, and sets the level back',
      async (level) => {
        const gated = gatedSync();
        const group = SqliteGroupCommit.of(dataSource!);
        group.useFileSync(gated.sync);
        await dataSource!.query(`PRAGMA synchronous = ${level}`);
        const write = group.run('INSERT INTO "a" ("id", "n") VALUES (1, 1)', []);
        expect(await settledWithin(write, 100)).toBe(false);
        expect(await dataSource!.query('SELECT "id" FROM "a"')).toEqual([{ id: 1 }]);
        // The app's own commits keep its level.
        const expected = level === 'FULL' ? 2 : 3;
        expect(await dataSource!.query('PRAGMA synchronous')).toEqual([{ synchronous: expected }]);
        gated.open();
        await expect(write).resolves.toBe(1);
        expect(gated.paths).toEqual([`${db.url}-wal`]);
      },
    );

    it.each(['NORMAL', 'FULL'])(
      'under synchronous=%s a group of writes that need not wait for the disk is not synced at all',
      async (level) => {
        const gated = gatedSync();
        const group = SqliteGroupCommit.of(dataSource!);
        group.useFileSync(gated.sync);
        await dataSource!.query(`PRAGMA synchronous = ${level}`);
        await expect(
          Promise.all([
            group.run('INSERT INTO "a" ("id", "n") VALUES (1, 1)', [], { durable: false }),
            group.run('INSERT INTO "a" ("id", "n") VALUES (2, 2)', [], { durable: false }),
          ]),
        ).resolves.toEqual([1, 1]);
        expect(gated.paths).toEqual([]);
        expect(await dataSource!.query('PRAGMA synchronous')).toEqual([
          { synchronous: level === 'FULL' ? 2 : 1 },
        ]);
      },
    );
  });

  it('with synchronous=OFF it syncs nothing and warns once', async () => {
    dataSource = await openWal(db, 'OFF');
    await dataSource.query('CREATE TABLE "a" ("id" INTEGER PRIMARY KEY)');
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const gated = gatedSync();
    const group = SqliteGroupCommit.of(dataSource);
    group.useFileSync(gated.sync);
    await group.run('INSERT INTO "a" ("id") VALUES (1)', []);
    await group.run('INSERT INTO "a" ("id") VALUES (2)', []);
    expect(gated.paths).toEqual([]);
    const warnings = warn.mock.calls.filter(([message]) => String(message).includes('synchronous=OFF'));
    expect(warnings).toHaveLength(1);
  });

  it('syncs nothing with the rollback journal (SQLite syncs in the commit) or in memory (nothing to sync)', async () => {
    for (const options of [db.options, { type: 'better-sqlite3' as const, database: ':memory:' }]) {
      const plain = new DataSource({ ...options, entities: [], logging: false });
      await plain.initialize();
      try {
        await plain.query('CREATE TABLE "a" ("id" INTEGER PRIMARY KEY)');
        await plain.query('PRAGMA synchronous = NORMAL');
        const gated = gatedSync();
        const group = SqliteGroupCommit.of(plain);
        group.useFileSync(gated.sync);
        await expect(group.run('INSERT INTO "a" ("id") VALUES (1)', [])).resolves.toBe(1);
        expect(gated.paths).toEqual([]);
      } finally {
        await plain.destroy();
      }
    }
  });

  it('answers a webhook only after the log is synced', async () => {
    const token = 't'.repeat(40);
    const app = await startWebhooksTestApp({
      db: db.options,
      webhooks: { path: 'hooks', auth: { type: 'bearer', tokens: [token] }, dispatch: { enabled: false } },
    });
    await app.dataSource.query('PRAGMA journal_mode = WAL');
    await app.dataSource.query('PRAGMA synchronous = NORMAL');
    try {
      const gated = gatedSync();
      SqliteGroupCommit.of(app.dataSource).useFileSync(gated.sync);
      const investmentId = randomUUID();
      const answer = fetch(`${app.origin}/hooks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({
          investment_id: investmentId,
          status: 'ACCEPTED',
          changed_at: new Date().toISOString(),
        }),
      });
      await until(() => gated.paths.length > 0, 'the sync of the stored webhook');
      expect(await settledWithin(answer, 50)).toBe(false);
      expect(await app.dataSource.query('SELECT "investment_id" FROM "cashlink_webhook_inbox"')).toEqual([
        { investment_id: investmentId },
      ]);
      gated.open();
      expect((await answer).status).toBe(200);
      expect(new Set(gated.paths)).toEqual(new Set([`${db.url}-wal`]));
    } finally {
      await app.close();
    }
  });

  // The app's commit holds the intent; the library's claim of it before the send is a library write,
  // resolved after a sync that started after it, and so covers the app's commit too.
  it('sends an intent written in the app transaction ({ manager }) only after the log is synced', async () => {
    const emu: CashlinkEmulator = await startCashlinkEmulator();
    const app = await startDurableApp({
      database: db.options as { type: 'better-sqlite3'; database: string },
      baseUrl: emu.baseUrl,
      tokenUrl: emu.tokenUrl,
      clientId: emu.clientId,
      clientSecret: emu.clientSecret,
      idempotency: { ...FAST_IDEMPOTENCY, recovery: false },
      maxRetries: 0,
    });
    try {
      const appDataSource = app.get<DataSource>(getDataSourceToken());
      await appDataSource.query('PRAGMA synchronous = NORMAL');
      const investor = await app
        .get(CashlinkInvestorsService)
        .create(exampleInvestorInput() as never, { idempotencyKey: 'investor-wal' });
      const gated = gatedSync();
      SqliteGroupCommit.of(appDataSource).useFileSync(gated.sync);
      const investments = app.get(CashlinkInvestmentsService);
      const created = await appDataSource.transaction(async (manager) => ({
        created: investments.create(
          {
            investor_id: investor.id,
            campaign_id: EMULATOR_CAMPAIGN_ID,
            units: 1,
            signed_at: '2026-11-24T10:00:00.000Z',
          },
          { idempotencyKey: 'wal-tx', manager },
        ),
      }));
      const sent = () => emu.requests().filter((r) => r.idempotencyKey === 'wal-tx');
      // The claim before the send waits for its sync, which covers the app's commit too.
      await until(() => gated.paths.length > 0, 'the sync of the claim');
      expect(await settledWithin(created.created, 50)).toBe(false);
      expect(sent()).toHaveLength(0);
      gated.open();
      expect((await created.created).units).toBe(1);
      expect(sent()).toHaveLength(1);
      expect(gated.paths[0]).toBe(`${db.url}-wal`);

      // A manager whose runner holds no open transaction: the intent is written on its own, and synced
      // before it is sent, as without a manager.
      const runner = appDataSource.createQueryRunner();
      try {
        const held = gatedSync();
        SqliteGroupCommit.of(appDataSource).useFileSync(held.sync);
        const loose = investments.create(
          {
            investor_id: investor.id,
            campaign_id: EMULATOR_CAMPAIGN_ID,
            units: 2,
            signed_at: '2026-11-24T10:00:00.000Z',
          },
          { idempotencyKey: 'wal-loose', manager: runner.manager },
        );
        await until(() => held.paths.length > 0, 'the sync of the record');
        expect(await settledWithin(loose, 50)).toBe(false);
        expect(emu.requests().filter((r) => r.idempotencyKey === 'wal-loose')).toHaveLength(0);
        held.open();
        expect((await loose).units).toBe(2);
      } finally {
        await runner.release();
      }
    } finally {
      await app.close();
      await emu.close();
    }
  });
});

describe('WalSync', () => {
  it('covers each caller with a sync that started after its call, one sync running at a time', async () => {
    const started: number[] = [];
    const finish: Array<() => void> = [];
    let calls = 0;
    const walSync = new WalSync('/x-wal', () => {
      started.push(++calls);
      return new Promise<void>((resolve) => finish.push(resolve));
    });
    const a = walSync.afterCommit();
    const b = walSync.afterCommit(); // the first sync has started: b needs the next one
    const c = walSync.afterCommit();
    expect(started).toEqual([1]);
    finish[0]!();
    await a;
    expect(await settledWithin(b, 10)).toBe(false);
    expect(started).toEqual([1, 2]);
    finish[1]!();
    await Promise.all([b, c]);
    expect(started).toEqual([1, 2]);
  });

  it('fails every caller from the first failed sync on, without syncing again', async () => {
    let calls = 0;
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const walSync = new WalSync('/x-wal', async () => {
      if (++calls === 1) throw new Error('EIO');
    });
    const a = walSync.afterCommit();
    const b = walSync.afterCommit();
    await expect(a).rejects.toThrow('EIO');
    await expect(b).rejects.toThrow('EIO');
    await expect(walSync.afterCommit()).rejects.toThrow('EIO');
    expect(calls).toBe(1);
  });
});
