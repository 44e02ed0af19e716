/**
 * After the demo's scenario (`npm start`), on SQLite and on PostgreSQL: no cashlink_* table holds the
 * investor's name or e-mail in clear; the SQLite data folder and files are the owner's only; a blank
 * document file name is the client's fault (400).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { createTestDatabase, describeIfPostgres, type TestDatabase } from '../support/databases';
import { DemoProcess } from './support/demo-process';

jest.setTimeout(180_000);

/** What the scenario's customer is called (src/scenario/scenario.service.ts). */
const INVESTOR = ['Mustermann', 'Erika', 'erika@example.com'];

function expectNoInvestorData(tables: Record<string, unknown[]>): void {
  expect(Object.keys(tables)).toEqual(expect.arrayContaining(['cashlink_intents', 'cashlink_webhook_inbox']));
  // The scenario stored something in every table that matters (else the scan proves nothing).
  expect(tables.cashlink_intents!.length).toBeGreaterThanOrEqual(3);
  expect(tables.cashlink_webhook_inbox!.length).toBeGreaterThanOrEqual(5);
  const dump = JSON.stringify(tables);
  for (const value of INVESTOR) expect(dump).not.toContain(value);
  expect(dump).toContain('cl1:');
}

describe('the demo on SQLite: personal data at rest', () => {
  let dataDir: string;
  let demo: DemoProcess | undefined;
  beforeAll(() => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'cashlink-demo-pd-')), 'data');
  });
  afterAll(async () => {
    await demo?.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('stores no investor name or e-mail in clear, keeps its files 0600 in a 0700 folder, answers 400 to a blank file name', async () => {
    demo = new DemoProcess([], { DEMO_DATA_DIR: dataDir });
    const url = await demo.url();
    await demo.waitFor(/Serving on .*Try:/s, 90_000);

    const form = new FormData();
    form.append('file', new Blob([Buffer.from('%PDF-1.4')], { type: 'application/pdf' }), ' ');
    const blank = await fetch(`${url}/documents`, { method: 'POST', body: form });
    expect(blank.status).toBe(400);

    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dataDir);
    expect(files).toEqual(
      expect.arrayContaining(['demo.sqlite', 'demo.sqlite-wal', 'demo.sqlite-shm', 'encryption-keys.json']),
    );
    for (const file of files)
      expect([file, statSync(join(dataDir, file)).mode & 0o777]).toEqual([file, 0o600]);

    const sqlite = new Database(join(dataDir, 'demo.sqlite'), { readonly: true });
    try {
      const names = sqlite
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'cashlink%'`)
        .all() as { name: string }[];
      const tables: Record<string, unknown[]> = {};
      for (const { name } of names) tables[name] = sqlite.prepare(`SELECT * FROM "${name}"`).all();
      expectNoInvestorData(tables);
      // The demo's own customers table does hold them: the scan would see them.
      expect(JSON.stringify(sqlite.prepare('SELECT * FROM demo_customers').all())).toContain('Mustermann');
    } finally {
      sqlite.close();
    }
  });
});

describeIfPostgres('the demo on PostgreSQL: personal data at rest', () => {
  let db: TestDatabase;
  let dataDir: string;
  let demo: DemoProcess | undefined;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    dataDir = mkdtempSync(join(tmpdir(), 'cashlink-demo-pd-pg-'));
  });
  afterAll(async () => {
    await demo?.stop();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores no investor name or e-mail in clear in any cashlink_* table', async () => {
    demo = new DemoProcess([], { DATABASE_URL: db.url, DEMO_DATA_DIR: dataDir });
    await demo.url();
    await demo.waitFor(/Serving on .*Try:/s, 90_000);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows: names } = await client.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'cashlink%'`,
      );
      const tables: Record<string, unknown[]> = {};
      for (const { name } of names) tables[name] = (await client.query(`SELECT * FROM "${name}"`)).rows;
      expectNoInvestorData(tables);
    } finally {
      await client.end();
    }
  });
});
