import { PostgresGroupWriter } from './postgres-group';

describe('PostgresGroupWriter', () => {
  it('writes items submitted together in one group, each with its own result', async () => {
    const groups: number[][] = [];
    const writer = new PostgresGroupWriter<number, number>({
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

  it('writes each item of a failed group on its own, so that only the bad one fails', async () => {
    const writer = new PostgresGroupWriter<number, number>({
      writeGroup: async (items) => {
        if (items.includes(3)) throw new Error('group rolled back');
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
