import { PostgresGroupWriter, postgresRolledBack, WRITE_ALONE } from './postgres-group';

/** An error as node-postgres raises it for a statement Postgres refused. */
const refused = (code: string) => Object.assign(new Error('refused'), { code });

describe('PostgresGroupWriter', () => {
  it('writes items submitted together in one group, each with its own result', async () => {
    const groups: number[][] = [];
    const writer = new PostgresGroupWriter<number, number>({
      name: 'test',
      writeGroup: async (items) => {
        groups.push(items);
        return items.map((n) => n * 10);
      },
      writeOne: async (n) => n * 10,
    });
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => writer.submit(n)));
    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(groups).toEqual([[1, 2, 3, 4, 5]]);
  });

  it('writes each item of a group Postgres refused on its own, so that only the bad one fails', async () => {
    const writer = new PostgresGroupWriter<number, number>({
      name: 'test',
      writeGroup: async (items) => {
        if (items.includes(3)) throw refused('22001'); // string_data_right_truncation
        return items;
      },
      writeOne: async (n) => {
        if (n === 3) throw new Error('bad item');
        return n;
      },
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => writer.submit(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toEqual(new Error('bad item'));
  });

  it('fails every item with the error when the outcome is unknown, and writes none of them again', async () => {
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: undefined });
    const writeOne = jest.fn(async (n: number) => n);
    const writer = new PostgresGroupWriter<number, number>({
      name: 'test',
      writeGroup: async () => {
        throw lost;
      },
      writeOne,
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => writer.submit(n)));
    expect(results.every((r) => r.status === 'rejected' && r.reason === lost)).toBe(true);
    expect(writeOne).not.toHaveBeenCalled();
  });

  it('writes an item the group left out on its own, after the group, without failing the others', async () => {
    const order: string[] = [];
    const writer = new PostgresGroupWriter<number, number>({
      name: 'test',
      writeGroup: async (items) => {
        order.push(`group ${items.join(',')}`);
        return items.map((n) => (n === 2 ? WRITE_ALONE : n));
      },
      writeOne: async (n) => {
        order.push(`alone ${n}`);
        if (n === 2) throw new Error('alone failed');
        return n;
      },
    });
    const results = await Promise.allSettled([1, 2, 3].map((n) => writer.submit(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(order).toEqual(['group 1,2,3', 'alone 2']);
  });

  it('writes a lone item with writeOne, and caps groups and groups in flight', async () => {
    const calls: string[] = [];
    let inFlight = 0;
    let maxSeen = 0;
    const slow = async <T>(value: T): Promise<T> => {
      maxSeen = Math.max(maxSeen, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return value;
    };
    const writer = new PostgresGroupWriter<number, number>({
      name: 'test',
      writeGroup: (items) => {
        calls.push(`group of ${items.length}`);
        return slow(items);
      },
      writeOne: (n) => {
        calls.push('one');
        return slow(n);
      },
      maxGroup: 4,
      maxInFlight: 2,
    });
    expect(await writer.submit(7)).toBe(7);
    expect(calls).toEqual(['one']);
    calls.length = 0;
    const many = Array.from({ length: 20 }, (_, i) => i);
    expect(await Promise.all(many.map((n) => writer.submit(n)))).toEqual(many);
    expect(calls.every((c) => c === 'group of 4')).toBe(true);
    expect(maxSeen).toBeLessThanOrEqual(2);
  });
});

describe('postgresRolledBack', () => {
  it('is true for a statement Postgres refused, false for connection errors and unknown errors', () => {
    expect(postgresRolledBack(refused('23505'))).toBe(true);
    expect(postgresRolledBack(refused('55P03'))).toBe(true); // lock_not_available (lock_timeout)
    expect(postgresRolledBack(refused('08006'))).toBe(false); // connection_failure
    expect(postgresRolledBack(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(false);
    expect(postgresRolledBack(new Error('timeout exceeded when trying to connect'))).toBe(false);
  });
});
