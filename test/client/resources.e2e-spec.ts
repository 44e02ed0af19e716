import type { INestApplicationContext } from '@nestjs/common';
import {
  CashlinkCampaignsService,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
  CashlinkMoneyService,
  CashlinkProductsService,
  CashlinkValidationError,
  type CashlinkIdentificationCreate,
  type CashlinkInvestorCreate,
  type InvestmentStatus,
} from 'nestjs-cashlink';
import {
  EMULATOR_CAMPAIGN_ID,
  EMULATOR_PRODUCT_ID,
  EMULATOR_STEP_CAMPAIGN_ID,
  exampleIdentificationInput,
  exampleInvestorInput,
  startCashlinkEmulator,
  type CashlinkEmulator,
} from 'nestjs-cashlink/testing';
import { apiRequests, createClientApp } from './support/client-fixture';
import { startRewritingProxy } from './support/rewriting-proxy';

describe('resources against the emulator', () => {
  let emu: CashlinkEmulator;
  let app: INestApplicationContext;
  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    app = await createClientApp(emu);
  });
  afterAll(async () => {
    await app.close();
    await emu.close();
  });
  beforeEach(() => emu.reset());

  const investorInput = (): CashlinkInvestorCreate => exampleInvestorInput() as CashlinkInvestorCreate;
  const identification = (): CashlinkIdentificationCreate =>
    exampleIdentificationInput() as CashlinkIdentificationCreate;

  it('investors: create, get, update, list, all', async () => {
    const investors = app.get(CashlinkInvestorsService);
    const created = await investors.create(investorInput(), { idempotencyKey: 'investor-1' });
    expect(created.id).toEqual(expect.any(String));
    expect(created.natural_person?.surname).toBe('Mustermann');
    expect(created).not.toHaveProperty('is_beneficiary');

    expect((await investors.get(created.id)).id).toBe(created.id);

    const updated = await investors.update(created.id, { communication: { email: 'new@example.com' } });
    expect(updated.communication?.email).toBe('new@example.com');
    const patch = apiRequests(emu, 'PATCH')[0];
    expect(patch?.path).toBe(`/v2/investors/${created.id}/`);
    expect(patch?.idempotencyKey).toEqual(expect.any(String));

    const second = await investors.create(investorInput());
    const page = await investors.list({ page_size: 1 });
    expect(page.count).toBe(2);
    expect(page.results.map((i) => i.id)).toEqual([created.id]);
    const all: string[] = [];
    for await (const investor of investors.all({ page_size: 1 })) all.push(investor.id);
    expect(all).toEqual([created.id, second.id]);
  });

  it('investors: identification, then generic and managed wallets', async () => {
    const investors = app.get(CashlinkInvestorsService);
    const { id } = await investors.create(investorInput());
    // A wallet needs a successful identification first (the emulator enforces it).
    await expect(investors.createWallet(id, { type: 'managed' })).rejects.toThrow(CashlinkValidationError);

    const ident = await investors.createIdentification(id, identification());
    expect(ident.id).toEqual(expect.any(String));

    const address = '0x' + 'ab'.repeat(20);
    const generic = await investors.createWallet(id, { type: 'generic', address, receiving_enabled: true });
    expect(generic.address?.toLowerCase()).toBe(address);
    const managed = await investors.createWallet(id, { type: 'managed' });
    expect(managed.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(
      emu
        .wallets()
        .map((w) => w.type)
        .sort(),
    ).toEqual(['eth-generic', 'eth-managed']);
    expect(apiRequests(emu, 'POST').map((r) => r.path)).toEqual([
      '/v2/investors/',
      `/v2/investors/${id}/wallets/eth-managed/`,
      `/v2/investors/${id}/identifications/`,
      `/v2/investors/${id}/wallets/eth-generic/`,
      `/v2/investors/${id}/wallets/eth-managed/`,
    ]);
  });

  it('investments: create, get, list, all, with exact money', async () => {
    const { id: investorId } = await app.get(CashlinkInvestorsService).create(investorInput());
    const investments = app.get(CashlinkInvestmentsService);
    const body = {
      investor_id: investorId,
      campaign_id: EMULATOR_CAMPAIGN_ID,
      units: 3,
      signed_at: new Date().toISOString(),
    };
    const created = await investments.create(body, { idempotencyKey: 'order-42' });
    expect(created.status).toEqual(expect.any(String));
    expect(created.investment_amount).toEqual({ amount: '300000', decimals: 3, currency: 'EUR' });
    expect(app.get(CashlinkMoneyService).format(created.investment_amount!, 'en-US')).toContain('300.000');

    // A repeat with the same key returns the same investment, and creates no second one.
    const again = await investments.create(body, { idempotencyKey: 'order-42' });
    expect(again.id).toBe(created.id);
    expect(emu.investments()).toHaveLength(1);

    expect((await investments.get(created.id)).id).toBe(created.id);
    const page = await investments.list();
    expect(page.results.map((i) => i.id)).toEqual([created.id]);
    const all: string[] = [];
    for await (const investment of investments.all()) all.push(investment.id);
    expect(all).toEqual([created.id]);
  });

  it('investments: the step size is enforced by Cashlink and surfaces as a validation error', async () => {
    const { id: investorId } = await app.get(CashlinkInvestorsService).create(investorInput());
    const error = await app
      .get(CashlinkInvestmentsService)
      .create({
        investor_id: investorId,
        campaign_id: EMULATOR_STEP_CAMPAIGN_ID,
        units: 15,
        signed_at: new Date().toISOString(),
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkValidationError);
    expect(Object.keys((error as CashlinkValidationError).fieldErrors)).toContain('units');
  });

  it('products and campaigns: get, list, all', async () => {
    const products = app.get(CashlinkProductsService);
    const campaigns = app.get(CashlinkCampaignsService);
    expect((await products.get(EMULATOR_PRODUCT_ID)).step_size).toBe(1);
    expect((await products.list()).results.map((p) => p.id)).toContain(EMULATOR_PRODUCT_ID);
    const campaign = await campaigns.get(EMULATOR_CAMPAIGN_ID);
    expect(campaign.price_per_token).toEqual({ amount: '100000', decimals: 3, currency: 'EUR' });
    const ids: string[] = [];
    for await (const c of campaigns.all({ page_size: 1 })) ids.push(c.id);
    expect(ids).toContain(EMULATOR_STEP_CAMPAIGN_ID);
    expect(ids.length).toBe((await campaigns.list()).count);
  });

  it('accepts an investment status it does not know', async () => {
    const [id] = emu.seedInvestments(1);
    const proxy = await startRewritingProxy(emu.origin, (body) =>
      body.id === id ? { ...body, status: 'PARTIALLY_REFUNDED' } : body,
    );
    const viaProxy = await createClientApp(emu, { baseUrl: `${proxy.origin}/api/external/distributor` });
    try {
      const investment = await viaProxy.get(CashlinkInvestmentsService).get(id!);
      const status: InvestmentStatus = investment.status;
      expect(status).toBe('PARTIALLY_REFUNDED');
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });
});
