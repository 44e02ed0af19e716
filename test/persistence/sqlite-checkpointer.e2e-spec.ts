/**
 * The write-ahead log of a SQLite database the library writes to is checkpointed on a worker thread,
 * not inside a commit on the event loop. Real files, real better-sqlite3 on both threads: the database
 * file grows only by the worker's checkpoints (the app's connection no longer checkpoints), an app that
 * checkpoints on its own is left alone, a worker that cannot start changes nothing, and closing the
 * DataSource stops the worker.
 */
import { existsSync, statSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SqliteCheckpointer } from '../../libs/cashlink/src/persistence/sqlite-checkpointer';
import { SqliteGroupCommit } from '../../libs/cashlink/src/persistence/sqlite-group-commit';
import { rawSqliteHandle } from '../../libs/cashlink/src/persistence/sqlite-connection';
import { createTestDatabase, type TestDatabase } from '../support/databases';

jest.setTimeout(60_000);

interface Handle {
  open: boolean;
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

/** Polls `check` every 10 ms (never a fixed wait for something to happen). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let turn = 0; !check(); turn++) {
    if (turn > 1000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function openWal(db: TestDatabase, pragmas: string[] = []): Promise<DataSource> {
  const dataSource = new DataSource({
    ...db.options,
    enableWAL: true,
    prepareDatabase: (handle: Handle) => pragmas.forEach((pragma) => handle.pragma(pragma)),
    entities: [],
    logging: false,
  } as ConstructorParameters<typeof DataSource>[0]);
  await dataSource.initialize();
  await dataSource.query('CREATE TABLE "a" ("id" INTEGER PRIMARY KEY, "body" TEXT NOT NULL)');
  return dataSource;
}

/** 2,000 rows of 2 KiB through the group commit (about 1,000 pages in the log), 100 per group. */
async function writeRows(dataSource: DataSource, from = 0): Promise<void> {
  const group = SqliteGroupCommit.of(dataSource);
  const body = 'x'.repeat(2048);
  for (let start = from; start < from + 2000; start += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        group.run('INSERT INTO "a" ("id", "body") VALUES (?, ?)', [start + i, body]),
      ),
    );
  }
}

describe('SQLite log checkpoints on a worker thread [sqlite]', () => {
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

  it('the app connection stops checkpointing in commits; the worker copies the log into the database file', async () => {
    dataSource = await openWal(db);
    const handle = rawSqliteHandle(dataSource)! as unknown as Handle;
    expect(handle.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // The library's first write starts the worker.
    await SqliteGroupCommit.of(dataSource).run('INSERT INTO "a" ("id", "body") VALUES (?, ?)', [-1, '']);
    const checkpointer = SqliteGroupCommit.of(dataSource).checkpointerOf(rawSqliteHandle(dataSource)!)!;
    expect(checkpointer).not.toBeNull();
    await until(() => checkpointer.active, 'the worker to open its connection');
    expect(handle.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const checkpointsBefore = checkpointer.checkpoints;
    const sizeBefore = statSync(db.url).size;

    await writeRows(dataSource);
    // Only a checkpoint writes pages into the database file: with the app's connection not
    // checkpointing, the 4 MB of rows get there through the worker.
    await until(() => statSync(db.url).size > sizeBefore + 4_000_000, 'the rows in the database file');
    await until(() => checkpointer.checkpoints > checkpointsBefore, 'the worker to report its checkpoint');
    expect(await dataSource.query('SELECT COUNT(*) AS "n" FROM "a"')).toEqual([{ n: 2001 }]);
  });

  it('under writes that never stop, the log is still started over: it stays bounded', async () => {
    dataSource = await openWal(db);
    const group = SqliteGroupCommit.of(dataSource);
    await group.run('INSERT INTO "a" ("id", "body") VALUES (?, ?)', [-1, '']);
    const checkpointer = group.checkpointerOf(rawSqliteHandle(dataSource)!)!;
    await until(() => checkpointer.active, 'the worker to take over');
    // Groups of 10 rows of 2 KiB back to back for 15 checkpoints. Checkpoints that always overlapped
    // commits would never start the log over, and it would hold all of it.
    const body = 'x'.repeat(2048);
    let rows = 0;
    const started = checkpointer.checkpoints;
    while (checkpointer.checkpoints - started < 15) {
      await Promise.all(
        Array.from({ length: 10 }, () =>
          group.run('INSERT INTO "a" ("id", "body") VALUES (?, ?)', [rows++, body]),
        ),
      );
    }
    const written = rows * 2048;
    expect(written).toBeGreaterThan(4_000_000);
    expect(checkpointer.completeCheckpoints).toBeGreaterThan(0);
    expect(statSync(`${db.url}-wal`).size).toBeLessThan(written / 2);
  });

  it('the app can leave WAL mode: the worker keeps no connection open between checkpoints, then stops', async () => {
    dataSource = await openWal(db);
    await writeRows(dataSource);
    const handle = rawSqliteHandle(dataSource)! as unknown as Handle;
    const checkpointer = SqliteGroupCommit.of(dataSource).checkpointerOf(rawSqliteHandle(dataSource)!)!;
    await until(() => checkpointer.active, 'the worker to take over');
    // A checkpoint may be under way at this very moment (its connection open): then SQLite answers busy.
    await until(() => {
      try {
        return handle.pragma('journal_mode = DELETE', { simple: true }) === 'delete';
      } catch {
        return false;
      }
    }, 'the switch to a rollback journal');
    await until(() => !checkpointer.active, 'the worker to stop');
    expect(handle.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('closing the DataSource stops the worker, and the log is removed as after any last close', async () => {
    dataSource = await openWal(db);
    await writeRows(dataSource);
    const checkpointer = SqliteGroupCommit.of(dataSource).checkpointerOf(rawSqliteHandle(dataSource)!)!;
    await until(() => checkpointer.active, 'the worker to open its connection');

    await dataSource.destroy();
    await until(() => !checkpointer.active, 'the worker to stop');
    await until(() => !existsSync(`${db.url}-wal`), 'the log to be removed');
    // Every row is in the database file.
    const reopened = new DataSource({ ...db.options, entities: [] } as ConstructorParameters<
      typeof DataSource
    >[0]);
    await reopened.initialize();
    expect(await reopened.query('SELECT COUNT(*) AS "n" FROM "a"')).toEqual([{ n: 2000 }]);
    await reopened.destroy();
  });

  it('an app that set wal_autocheckpoint = 0 checkpoints on its own: no worker, its level kept', async () => {
    dataSource = await openWal(db, ['wal_autocheckpoint = 0']);
    await writeRows(dataSource);
    const handle = rawSqliteHandle(dataSource)!;
    expect(SqliteGroupCommit.of(dataSource).checkpointerOf(handle)).toBeNull();
    expect((handle as unknown as Handle).pragma('wal_autocheckpoint', { simple: true })).toBe(0);
  });

  it('a worker that cannot start leaves checkpoints in commits, and says why once', async () => {
    dataSource = await openWal(db);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const handle = rawSqliteHandle(dataSource)! as unknown as Handle;
    const checkpointer = SqliteCheckpointer.start(dataSource, handle, db.url, {
      module: `${__dirname}/no-such-sqlite-module.js`,
    })!;
    await until(() => warn.mock.calls.length > 0, 'the warning');
    expect(String(warn.mock.calls[0]![0])).toMatch(/checkpointed in commits again/);
    expect(checkpointer.active).toBe(false);
    expect(handle.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
