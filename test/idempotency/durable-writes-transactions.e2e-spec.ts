/**
 * Durable writes in the caller's transaction (`{ manager }`): the intent commits with the caller's
 * rows, Cashlink is called only after the commit, and nothing is sent for a rollback.
 */
import { IdempotencyConflictError } from 'nestjs-cashlink';
import { CashlinkIntent } from '../../libs/cashlink/src/idempotency/cashlink-intent.entity';
import { CashlinkIntentRolledBackError } from '../../libs/cashlink/src/idempotency/cashlink-intent.error';
import { describeEachDatabase } from '../support/databases';
import { investmentInput, harness, requestsWithKey, useDurableTestState } from './support/durable-harness';

// Some cases wait out leases of a few seconds; the machine running them may be busy.
jest.setTimeout(60_000);

describeEachDatabase('durable writes in the caller’s transaction', (kind) => {
  const s = useDurableTestState(kind);

  describe('in the caller’s transaction ({ manager })', () => {
    it('commits the intent with the caller’s rows and calls Cashlink only after the commit', async () => {
      s.h = await harness(kind, s.emu, s.db);
      const { investments, dataSource, investorId } = s.h;
      let sentDuringTransaction = -1;
      const { created } = await dataSource.transaction(async (manager) => {
        const created = investments.create(investmentInput(investorId), { idempotencyKey: 'tx-1', manager });
        // give the write every chance to go out early
        await new Promise((r) => setTimeout(r, 50));
        await manager.query('SELECT 1');
        sentDuringTransaction = requestsWithKey(s.emu, 'tx-1').length;
        return { created };
      });
      expect(sentDuringTransaction).toBe(0);
      const investment = await created;
      expect(investment.units).toBe(1);
      expect(requestsWithKey(s.emu, 'tx-1')).toHaveLength(1);
      expect(await s.h.intents.find('tx-1')).toMatchObject({ state: 'succeeded' });
    });

    it('a rolled-back transaction leaves no intent and sends nothing', async () => {
      s.h = await harness(kind, s.emu, s.db);
      const { investments, dataSource, investorId } = s.h;
      let created: Promise<unknown> | undefined;
      await expect(
        dataSource.transaction(async (manager) => {
          created = investments.create(investmentInput(investorId), { idempotencyKey: 'tx-2', manager });
          await new Promise((r) => setTimeout(r, 20));
          throw new Error('business rule failed');
        }),
      ).rejects.toThrow('business rule failed');
      await expect(created).rejects.toBeInstanceOf(CashlinkIntentRolledBackError);
      await new Promise((r) => setTimeout(r, 100));
      expect(await s.h.intents.find('tx-2')).toBeNull();
      expect(await dataSource.getRepository(CashlinkIntent).countBy({ key: 'tx-2' })).toBe(0);
      expect(requestsWithKey(s.emu, 'tx-2')).toHaveLength(0);
    });

    it('a write in a savepoint that rolls back is not sent, even when the outer transaction commits', async () => {
      s.h = await harness(kind, s.emu, s.db);
      const { investments, dataSource, investorId } = s.h;
      let inner: Promise<unknown> | undefined;
      await dataSource.transaction(async (manager) => {
        await manager
          .transaction(async (nested) => {
            inner = investments.create(investmentInput(investorId), {
              idempotencyKey: 'tx-sp',
              manager: nested,
            });
            throw new Error('nested step failed');
          })
          .catch(() => undefined);
      });
      await expect(inner).rejects.toBeInstanceOf(CashlinkIntentRolledBackError);
      expect(await s.h.intents.find('tx-sp')).toBeNull();
      expect(requestsWithKey(s.emu, 'tx-sp')).toHaveLength(0);
    });

    it('a conflicting key fails the commit: the caller’s transaction rolls back and nothing is sent', async () => {
      s.h = await harness(kind, s.emu, s.db);
      const { investments, dataSource, investorId } = s.h;
      await investments.create(investmentInput(investorId, 1), { idempotencyKey: 'tx-3' });
      const before = s.emu.requests().length;
      let created: Promise<unknown> | undefined;
      await expect(
        dataSource.transaction(async (manager) => {
          await manager.query(`CREATE TABLE IF NOT EXISTS "tx_probe" ("id" integer)`);
          created = investments.create(investmentInput(investorId, 5), { idempotencyKey: 'tx-3', manager });
          return { created };
        }),
      ).rejects.toBeInstanceOf(IdempotencyConflictError);
      await expect(created).rejects.toBeInstanceOf(IdempotencyConflictError);
      expect(s.emu.requests().length).toBe(before);
    });

    it('a settled key repeated in a transaction returns the stored answer after the commit', async () => {
      s.h = await harness(kind, s.emu, s.db);
      const { investments, dataSource, investorId } = s.h;
      const first = await investments.create(investmentInput(investorId), { idempotencyKey: 'tx-4' });
      const before = s.emu.requests().length;
      const { again } = await dataSource.transaction(async (manager) => ({
        again: investments.create(investmentInput(investorId), { idempotencyKey: 'tx-4', manager }),
      }));
      expect(await again).toEqual(first);
      expect(s.emu.requests().length).toBe(before);
    });
  });
});
