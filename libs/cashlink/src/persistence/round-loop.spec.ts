import { AsyncLocalStorage } from 'node:async_hooks';
import { RoundLoop } from './round-loop';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RoundLoop', () => {
  const loops: RoundLoop[] = [];
  afterEach(async () => {
    await Promise.all(loops.splice(0).map((loop) => loop.stop()));
  });

  function loop(round: () => Promise<number>, intervalMs = 30): RoundLoop {
    const created = new RoundLoop({ intervalMs, busyDelayMs: 5, round, onRoundFailed: () => undefined });
    loops.push(created);
    return created;
  }

  it('runs a round at start and then every interval, one at a time', async () => {
    let running = 0;
    let most = 0;
    let rounds = 0;
    const subject = loop(async () => {
      running++;
      most = Math.max(most, running);
      await sleep(20);
      running--;
      return ++rounds;
    }, 10);
    subject.start();
    subject.kick(); // during the first round: no second round at once
    await sleep(200);
    expect(rounds).toBeGreaterThanOrEqual(3);
    expect(most).toBe(1);
  });

  it("runs its rounds out of the waker's context: a caller's AsyncLocalStorage store does not reach them", async () => {
    const store = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const subject = loop(async () => {
      seen.push(store.getStore());
      return 0;
    }, 60_000);
    subject.start();
    await sleep(20);
    // A request (a stored webhook, a settled intent) wakes the loop from inside its own context.
    store.run('request-1', () => subject.kick());
    await sleep(20);
    store.run('request-2', () => subject.kick());
    await sleep(20);
    expect(seen).toEqual([undefined, undefined, undefined]);
  });

  it('goes on after a round that failed', async () => {
    let rounds = 0;
    const subject = loop(async () => {
      rounds++;
      if (rounds === 1) throw new Error('database unreachable');
      return 0;
    });
    subject.start();
    await sleep(150);
    expect(rounds).toBeGreaterThanOrEqual(2);
  });

  it('goes on when its timer fires while a round run on demand is under way', async () => {
    let rounds = 0;
    const subject = loop(async () => {
      rounds++;
      await sleep(rounds === 1 ? 0 : 100); // the on-demand round outlasts the timer
      return 0;
    });
    subject.start();
    await sleep(10);
    const onDemand = subject.runNow();
    await onDemand;
    const after = rounds;
    await sleep(150);
    expect(rounds).toBeGreaterThan(after);
  });

  it('stops: waits for the round in progress, which sees `stopping`, and runs no further round', async () => {
    let rounds = 0;
    let sawStopping = false;
    const subject = loop(async () => {
      rounds++;
      await sleep(50);
      sawStopping = subject.stopping;
      return 0;
    });
    subject.start();
    await sleep(10);
    await subject.stop();
    expect(sawStopping).toBe(true);
    const stoppedAt = rounds;
    subject.kick();
    await sleep(100);
    expect(rounds).toBe(stoppedAt);
  });
});
