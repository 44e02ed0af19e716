/**
 * The shared SQLite group commit: the library's writes of one event-loop
 * turn, whichever store issues them, run in one better-sqlite3 transaction (one disk flush), each
 * statement still atomic on its own with its own result; statements are compiled once; a write never
 * joins the app's open transaction; one failing statement fails only its caller.
 */
import { DataSource } from 'typeorm';
import { rawSqliteHandle } from '../../libs/cashlink/src/persistence/sqlite-connection';
import { SqliteGroupCommit } from '../../libs/cashlink/src/persistence/sqlite-group-commit';
import { createTestDatabase, type TestDatabase } from '../support/databases';

jest.setTimeout(30_000);

describe('SqliteGroupCommit [sqlite]', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    dataSource = new DataSource({ ...db.options, entities: [], logging: false } as ConstructorParameters<
      typeof DataSource
    >[0]);
    await dataSource.initialize();
    await dataSource.query('CREATE TABLE "a" ("id" INTEGER PRIMARY KEY, "n" INTEGER NOT NULL)');
    await dataSource.query('CREATE TABLE "b" ("id" INTEGER PRIMARY KEY, "n" INTEGER NOT NULL)');
  });
  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });
  afterEach(() => jest.restoreAllMocks());

  it('is one per DataSource', () => {
    expect(SqliteGroupCommit.of(dataSource)).toBe(SqliteGroupCommit.of(dataSource));
  });

  it('runs the statements of one turn, from different stores, in one transaction, each with its own result', async () => {
    const handle = rawSqliteHandle(dataSource)!;
    const transaction = jest.spyOn(handle, 'transaction');
    const prepare = jest.spyOn(handle, 'prepare');
    const group = SqliteGroupCommit.of(dataSource);
    const results = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => group.run('INSERT INTO "a" ("id", "n") VALUES (?, ?)', [i, i])),
      ...Array.from({ length: 20 }, (_, i) =>
        group.all('INSERT INTO "b" ("id", "n") VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING "id"', [
          i % 10,
          i,
        ]),
      ),
    ]);
    expect(transaction).toHaveBeenCalledTimes(1);
    // Two distinct statements, each compiled once for the 40 writes (besides the settings' PRAGMAs, read
    // at each group to know whether the library must sync the log).
    expect(prepare.mock.calls.filter(([sql]) => !sql.startsWith('PRAGMA'))).toHaveLength(2);
    expect(results.slice(0, 20)).toEqual(Array(20).fill(1));
    // The first ten inserts of "b" stored their row; the repeats of those ids found them there.
    expect(results.slice(20, 30)).toEqual(Array.from({ length: 10 }, (_, i) => [{ id: i }]));
    expect(results.slice(30)).toEqual(Array(10).fill([]));
  });

  it("waits for the app's open transaction instead of joining it: its rollback loses nothing", async () => {
    const runner = dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      await runner.query('INSERT INTO "a" ("id", "n") VALUES (1000, 0)');
      const write = SqliteGroupCommit.of(dataSource).run('INSERT INTO "a" ("id", "n") VALUES (1001, 0)', []);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await runner.rollbackTransaction();
      expect(await write).toBe(1);
    } finally {
      await runner.release();
    }
    expect(await dataSource.query('SELECT "id" FROM "a" WHERE "id" >= 1000')).toEqual([{ id: 1001 }]);
  });

  it('fails only the statement that cannot run when the group rolls back', async () => {
    const group = SqliteGroupCommit.of(dataSource);
    const results = await Promise.allSettled([
      group.run('INSERT INTO "a" ("id", "n") VALUES (2000, 1)', []),
      group.run('INSERT INTO "a" ("id", "n") VALUES (2001, NULL)', []), // NOT NULL
      group.run('INSERT INTO "a" ("id", "n") VALUES (2002, 1)', []),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await dataSource.query('SELECT "id" FROM "a" WHERE "id" >= 2000 ORDER BY "id"')).toEqual([
      { id: 2000 },
      { id: 2002 },
    ]);
  });

  it('keeps working after the DataSource is destroyed and initialised again (statements compiled anew)', async () => {
    const group = SqliteGroupCommit.of(dataSource);
    await group.run('INSERT INTO "a" ("id", "n") VALUES (?, ?)', [3000, 1]);
    await dataSource.destroy();
    await dataSource.initialize();
    await expect(group.run('INSERT INTO "a" ("id", "n") VALUES (?, ?)', [3001, 1])).resolves.toBe(1);
    expect(await dataSource.query('SELECT "id" FROM "a" WHERE "id" >= 3000 ORDER BY "id"')).toEqual([
      { id: 3000 },
      { id: 3001 },
    ]);
  });

  it('answers null on another database, so the caller uses its query runner', async () => {
    const other = { options: { type: 'postgres' } } as unknown as DataSource;
    await expect(SqliteGroupCommit.of(other).run('SELECT 1', [])).resolves.toBeNull();
  });
});
