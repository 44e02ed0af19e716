import {
  DEFAULT_EMULATOR_SEED,
  EMULATOR_CAMPAIGN_ID,
  EMULATOR_INACTIVE_CAMPAIGN_ID,
  EMULATOR_STEP_CAMPAIGN_ID,
  startCashlinkEmulator,
  type CashlinkEmulator,
  type EmulatorSeed,
} from 'nestjs-cashlink/testing';
import { api, createIdentifiedInvestor, createInvestor, getToken, upload } from './emulator-test.helpers';

const signedAt = '2026-03-01T12:00:00.000Z';

describe('emulator: products, campaigns and investments', () => {
  let emu: CashlinkEmulator;
  let token: string;
  let investorId: string;

  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    token = await getToken(emu);
  });
  afterAll(() => emu.close());
  beforeEach(async () => {
    emu.reset();
    investorId = await createInvestor(emu, token);
  });

  const invest = (fields: Record<string, unknown>) =>
    api(emu, token, 'POST', '/v2/investments/', {
      json: {
        investor_id: investorId,
        campaign_id: EMULATOR_CAMPAIGN_ID,
        units: 1,
        signed_at: signedAt,
        ...fields,
      },
    });

  describe('products and campaigns (seeded)', () => {
    it('lists the default seed and reads one campaign; 404 for an unknown one', async () => {
      const products = await api(emu, token, 'GET', '/v2/products/');
      expect(products.status).toBe(200);
      expect(products.body).toEqual({
        count: 2,
        next: null,
        previous: null,
        results: DEFAULT_EMULATOR_SEED.products,
      });
      const campaigns = await api(emu, token, 'GET', '/v2/campaigns/');
      expect(campaigns.body.results).toEqual(DEFAULT_EMULATOR_SEED.campaigns);
      const one = await api(emu, token, 'GET', `/v2/campaigns/${EMULATOR_STEP_CAMPAIGN_ID}/`);
      expect(one.body).toMatchObject({ id: EMULATOR_STEP_CAMPAIGN_ID, min_number_of_tokens: 10 });
      expect((await api(emu, token, 'GET', '/v2/campaigns/nope/')).status).toBe(404);
      const product = await api(emu, token, 'GET', `/v2/products/${one.body.product_id}/`);
      expect(product.body.step_size).toBe(10);
    });

    it('takes a custom seed', async () => {
      const seed: EmulatorSeed = {
        products: [{ ...DEFAULT_EMULATOR_SEED.products[0]!, id: 'p-1', name: 'Custom' }],
        campaigns: [{ ...DEFAULT_EMULATOR_SEED.campaigns[0]!, id: 'c-1', product_id: 'p-1' }],
      };
      const custom = await startCashlinkEmulator({ seed });
      try {
        const answer = await api(custom, await getToken(custom), 'GET', '/v2/campaigns/');
        expect(answer.body.results.map((c: { id: string }) => c.id)).toEqual(['c-1']);
      } finally {
        await custom.close();
      }
    });
  });

  describe('POST /v2/investments/', () => {
    it('creates an investment with money computed exactly from units × price_per_token', async () => {
      const answer = await invest({ units: 7 });
      expect(answer.status).toBe(201);
      const eur = (amount: string) => ({ amount, decimals: 3, currency: 'EUR' });
      expect(answer.body).toEqual({
        id: expect.any(String),
        investor_id: investorId,
        campaign_id: EMULATOR_CAMPAIGN_ID,
        status: 'KYC_PENDING',
        units: 7,
        investment_amount: eur('700000'),
        disagio: eur('0'),
        accrued_interest: eur('0'),
        payment_total: eur('700000'),
        remaining_amount: eur('700000'),
        signed_at: signedAt,
        accepted_at: null,
        paid_at: null,
        delivered_at: null,
        cancellation_date: null,
        cancellation_reason: null,
        start_url: null,
        wallet: null,
        signed_documents: [],
        created_at: expect.any(String),
      });
      const read = await api(emu, token, 'GET', `/v2/investments/${answer.body.id}/`);
      expect(read.body).toEqual(answer.body);
      expect((await api(emu, token, 'GET', '/v2/investments/nope/')).status).toBe(404);
    });

    it('computes amounts beyond 2^53 without a float', async () => {
      const answer = await invest({ units: 999_999_999 });
      expect(answer.status).toBe(201);
      // 999,999,999 × 100000 = 99,999,999,900,000 (fits); the step campaign proves the other scale.
      expect(answer.body.investment_amount.amount).toBe('99999999900000');
      const seed: EmulatorSeed = {
        products: DEFAULT_EMULATOR_SEED.products,
        campaigns: [
          {
            ...DEFAULT_EMULATOR_SEED.campaigns[0]!,
            price_per_token: { amount: '123456789012345678', decimals: 18, currency: 'EUR' },
          },
        ],
      };
      const big = await startCashlinkEmulator({ seed });
      try {
        const bigToken = await getToken(big);
        const investor = await createInvestor(big, bigToken);
        const created = await api(big, bigToken, 'POST', '/v2/investments/', {
          json: {
            investor_id: investor,
            campaign_id: EMULATOR_CAMPAIGN_ID,
            units: 987654321,
            signed_at: signedAt,
          },
        });
        expect(created.body.investment_amount).toEqual({
          amount: (123456789012345678n * 987654321n).toString(),
          decimals: 18,
          currency: 'EUR',
        });
        expect(created.body.payment_total.amount).toBe('121932631124828531222374638');
      } finally {
        await big.close();
      }
    });

    it('uses the step campaign price and scale', async () => {
      const answer = await invest({ campaign_id: EMULATOR_STEP_CAMPAIGN_ID, units: 30 });
      expect(answer.body.investment_amount).toEqual({ amount: '4500', decimals: 2, currency: 'EUR' });
    });

    it.each([
      [{ units: 0 }, 'units', 'greater than 0'],
      [{ units: -3 }, 'units', 'greater than 0'],
      [{ units: 1.5 }, 'units', 'valid integer'],
      [{ units: '10' }, 'units', 'valid integer'],
      [{ campaign_id: EMULATOR_STEP_CAMPAIGN_ID, units: 15 }, 'units', 'multiple of the step size 10'],
      [{ campaign_id: EMULATOR_STEP_CAMPAIGN_ID, units: 1010 }, 'units', 'less than or equal to 1000'],
      [{ campaign_id: EMULATOR_STEP_CAMPAIGN_ID, units: 0 }, 'units', 'greater than 0'],
      [{ campaign_id: EMULATOR_INACTIVE_CAMPAIGN_ID }, 'campaign_id', 'not active'],
      [{ campaign_id: 'nope' }, 'campaign_id', 'does not exist'],
      [{ investor_id: 'nope' }, 'investor_id', 'does not exist'],
      [{ signed_at: 'tomorrow' }, 'signed_at', 'Datetime has wrong format'],
      [{ signed_at: undefined }, 'signed_at', 'Web-based subscription is not enabled'],
      [{ paid_at: signedAt }, 'paid_at', 'accepted'],
      [{ wallet: 'nope' }, 'wallet', 'does not exist'],
      [{ signed_documents: ['nope'] }, 'signed_documents', 'does not exist'],
    ])('rejects %j with a %s error', async (fields, field, message) => {
      const answer = await invest(fields);
      expect(answer.status).toBe(400);
      expect(answer.body[field]).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
      expect(emu.investments()).toEqual([]);
    });

    it('lists every missing required field', async () => {
      const answer = await api(emu, token, 'POST', '/v2/investments/', { json: { signed_at: signedAt } });
      expect(answer.body).toEqual({
        investor_id: ['This field is required.'],
        campaign_id: ['This field is required.'],
        units: ['This field is required.'],
      });
    });

    it('checks the step size in the step campaign (multiple of 10 accepted, below the minimum rejected)', async () => {
      expect((await invest({ campaign_id: EMULATOR_STEP_CAMPAIGN_ID, units: 20 })).status).toBe(201);
      const seed: EmulatorSeed = {
        products: DEFAULT_EMULATOR_SEED.products,
        campaigns: [{ ...DEFAULT_EMULATOR_SEED.campaigns[2]!, min_number_of_tokens: 50 }],
      };
      const other = await startCashlinkEmulator({ seed });
      try {
        const t = await getToken(other);
        const inv = await createInvestor(other, t);
        const low = await api(other, t, 'POST', '/v2/investments/', {
          json: { investor_id: inv, campaign_id: EMULATOR_STEP_CAMPAIGN_ID, units: 40, signed_at: signedAt },
        });
        expect(low.body).toEqual({ units: ['Ensure this value is greater than or equal to 50.'] });
      } finally {
        await other.close();
      }
    });

    it('rejects investments beyond the campaign allocation', async () => {
      const seed: EmulatorSeed = {
        products: DEFAULT_EMULATOR_SEED.products,
        campaigns: [{ ...DEFAULT_EMULATOR_SEED.campaigns[0]!, allocation: 10 }],
      };
      const small = await startCashlinkEmulator({ seed });
      try {
        const t = await getToken(small);
        const inv = await createInvestor(small, t);
        const body = (units: number) => ({
          json: { investor_id: inv, campaign_id: EMULATOR_CAMPAIGN_ID, units, signed_at: signedAt },
        });
        expect((await api(small, t, 'POST', '/v2/investments/', body(8))).status).toBe(201);
        const over = await api(small, t, 'POST', '/v2/investments/', body(3));
        expect(over.body).toEqual({ units: ['Only 2 units are left in this campaign.'] });
      } finally {
        await small.close();
      }
    });

    it('rejects natural persons where a campaign allows only legal persons', async () => {
      const seed: EmulatorSeed = {
        products: DEFAULT_EMULATOR_SEED.products,
        campaigns: [{ ...DEFAULT_EMULATOR_SEED.campaigns[0]!, natural_persons_allowed: false }],
      };
      const other = await startCashlinkEmulator({ seed });
      try {
        const t = await getToken(other);
        const inv = await createInvestor(other, t);
        const answer = await api(other, t, 'POST', '/v2/investments/', {
          json: { investor_id: inv, campaign_id: EMULATOR_CAMPAIGN_ID, units: 1, signed_at: signedAt },
        });
        expect(answer.body).toEqual({ non_field_errors: ['The campaign does not allow natural persons.'] });
      } finally {
        await other.close();
      }
    });

    it('starts further along with accepted_at / paid_at; paid means nothing remains', async () => {
      const accepted = await invest({ accepted_at: signedAt });
      expect(accepted.body).toMatchObject({ status: 'ACCEPTED', accepted_at: signedAt });
      const paid = await invest({ accepted_at: signedAt, paid_at: signedAt, units: 2 });
      expect(paid.body).toMatchObject({
        status: 'PAID',
        payment_total: { amount: '200000' },
        remaining_amount: { amount: '0', decimals: 3, currency: 'EUR' },
      });
    });

    it('accepts the investor own wallet and existing signed documents; rejects a wallet of someone else', async () => {
      const identified = await createIdentifiedInvestor(emu, token);
      const wallet = await api(emu, token, 'POST', `/v2/investors/${identified}/wallets/eth-managed/`);
      const document = await upload(emu, token, Buffer.from('%PDF signed subscription'));
      const ok = await api(emu, token, 'POST', '/v2/investments/', {
        json: {
          investor_id: identified,
          campaign_id: EMULATOR_CAMPAIGN_ID,
          units: 1,
          signed_at: signedAt,
          wallet: wallet.body.id,
          signed_documents: [document.body.id],
        },
      });
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({ wallet: wallet.body.id, signed_documents: [document.body.id] });
      const foreign = await invest({ wallet: wallet.body.id });
      expect(foreign.body).toEqual({ wallet: ['The wallet does not belong to this investor.'] });
    });

    it('starts a web-based subscription without signed_at when the feature is enabled', async () => {
      const web = await startCashlinkEmulator({ webBasedSubscription: true });
      try {
        const t = await getToken(web);
        const inv = await createInvestor(web, t);
        const answer = await api(web, t, 'POST', '/v2/investments/', {
          json: { investor_id: inv, campaign_id: EMULATOR_CAMPAIGN_ID, units: 1 },
        });
        expect(answer.status).toBe(201);
        expect(answer.body).toMatchObject({
          signed_at: null,
          start_url: expect.stringMatching(/^http:\/\//),
        });
      } finally {
        await web.close();
      }
    });
  });

  describe('status changes by control call', () => {
    it('advances along the lifecycle and sets timestamps; paid zeroes remaining_amount', async () => {
      const { body } = await invest({ units: 3 });
      const seen: string[] = [];
      for (let i = 0; i < 5; i += 1) seen.push(emu.advanceInvestment(body.id).status);
      expect(seen).toEqual(['REVIEW_PENDING', 'WAITING_FOR_ACCEPTANCE', 'ACCEPTED', 'PAID', 'DELIVERED']);
      const read = await api(emu, token, 'GET', `/v2/investments/${body.id}/`);
      expect(read.body).toMatchObject({
        status: 'DELIVERED',
        accepted_at: expect.any(String),
        paid_at: expect.any(String),
        delivered_at: expect.any(String),
        remaining_amount: { amount: '0' },
        payment_total: { amount: '300000' },
      });
      expect(() => emu.advanceInvestment(body.id)).toThrow(/DELIVERED/);
      expect(() => emu.setInvestmentStatus(body.id, 'CANCELED')).toThrow(/final/);
    });

    it('cancels with a date and a reason, and branches to KYC_INSUFFICIENT', async () => {
      const first = await invest({});
      const canceled = emu.setInvestmentStatus(first.body.id, 'CANCELED', {
        cancellationReason: 'INVESTOR_REQUEST',
      });
      expect(canceled).toMatchObject({
        status: 'CANCELED',
        cancellation_reason: 'INVESTOR_REQUEST',
        cancellation_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
      const second = await invest({});
      expect(emu.setInvestmentStatus(second.body.id, 'KYC_INSUFFICIENT').status).toBe('KYC_INSUFFICIENT');
      expect(() => emu.setInvestmentStatus(second.body.id, 'BOGUS')).toThrow(/Unknown status/);
      expect(() => emu.setInvestmentStatus('nope', 'PAID')).toThrow(/Unknown investment/);
    });
  });
});
