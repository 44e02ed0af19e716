import { startCashlinkEmulator, type CashlinkEmulator } from 'nestjs-cashlink/testing';
import { api, createInvestor, getToken, type ApiAnswer } from './emulator-test.helpers';

interface ListPage {
  count: number;
  next: string | null;
  results: { id: string }[];
}

describe('emulator: lists and pagination', () => {
  let emu: CashlinkEmulator;
  let token: string;

  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    token = await getToken(emu);
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  it('walks several pages through absolute next URLs, oldest first, with count', async () => {
    const ids = emu.seedInvestments(47);
    const seen: string[] = [];
    let url: string | null = `${emu.baseUrl}/v2/investments/?page_size=10`;
    let pages = 0;
    while (url !== null) {
      expect(url.startsWith(emu.baseUrl)).toBe(true);
      const page: ApiAnswer<ListPage> = await api<ListPage>(emu, token, 'GET', url);
      expect(page.status).toBe(200);
      expect(page.body.count).toBe(47);
      seen.push(...page.body.results.map((r) => r.id));
      url = page.body.next;
      pages += 1;
    }
    expect(pages).toBe(5);
    expect(seen).toEqual(ids);
  });

  it('links previous and next pages and keeps other query parameters', async () => {
    emu.seedInvestments(45);
    const page2 = await api(emu, token, 'GET', '/v2/investments/?page=2');
    expect(page2.body.results).toHaveLength(20);
    expect(page2.body.next).toBe(`${emu.baseUrl}/v2/investments/?page=3`);
    expect(page2.body.previous).toBe(`${emu.baseUrl}/v2/investments/?page=1`);
    const page3 = await api(emu, token, 'GET', page2.body.next);
    expect(page3.body.results).toHaveLength(5);
    expect(page3.body.next).toBeNull();
    const first = await api(emu, token, 'GET', '/v2/investments/?page_size=30');
    expect(first.body.previous).toBeNull();
    expect(first.body.next).toBe(`${emu.baseUrl}/v2/investments/?page_size=30&page=2`);
  });

  it('uses 20 by default, clamps page_size to 100 and ignores an invalid page_size', async () => {
    emu.seedInvestments(150);
    expect((await api(emu, token, 'GET', '/v2/investments/')).body.results).toHaveLength(20);
    expect((await api(emu, token, 'GET', '/v2/investments/?page_size=1000')).body.results).toHaveLength(100);
    expect((await api(emu, token, 'GET', '/v2/investments/?page_size=abc')).body.results).toHaveLength(20);
  });

  it('answers 404 {"detail": "Invalid page."} for a page out of range or not a number', async () => {
    emu.seedInvestments(3);
    for (const page of ['2', '0', 'x', '-1']) {
      const answer = await api(emu, token, 'GET', `/v2/investments/?page=${page}`);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ detail: 'Invalid page.' });
    }
  });

  it('answers an empty first page for an empty list', async () => {
    const answer = await api(emu, token, 'GET', '/v2/investors/');
    expect(answer.body).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('lists investors oldest first', async () => {
    const a = await createInvestor(emu, token);
    const b = await createInvestor(emu, token);
    const c = await createInvestor(emu, token);
    const page = await api(emu, token, 'GET', '/v2/investors/?page_size=2');
    expect(page.body.results.map((r: { id: string }) => r.id)).toEqual([a, b]);
    const next = await api(emu, token, 'GET', page.body.next);
    expect(next.body.results.map((r: { id: string }) => r.id)).toEqual([c]);
  });

  it('seeds many investments in bulk and still serves a page from the middle', async () => {
    const ids = emu.seedInvestments(20_000, { units: 2 });
    const page = await api(emu, token, 'GET', '/v2/investments/?page=150&page_size=100');
    expect(page.body.count).toBe(20_000);
    expect(page.body.results[0].id).toBe(ids[14_900]);
    expect(page.body.results[0].investment_amount).toEqual({
      amount: '200000',
      decimals: 3,
      currency: 'EUR',
    });
  });

  it('builds next/previous on the host the client used (as DRF does), e.g. localhost', async () => {
    emu.seedInvestments(30);
    const viaLocalhost = emu.baseUrl.replace('127.0.0.1', 'localhost');
    const page = await api(emu, token, 'GET', `${viaLocalhost}/v2/investments/`);
    expect(page.body.next).toBe(`${viaLocalhost}/v2/investments/?page=2`);
  });
});
