import type { INestApplicationContext } from '@nestjs/common';
import {
  CashlinkApiError,
  CashlinkConflictError,
  CashlinkDocumentsService,
  CashlinkInvestmentsService,
  CashlinkInvestorsService,
  CashlinkNotFoundError,
  CashlinkPayloadTooLargeError,
  CashlinkPermissionError,
  CashlinkServerError,
  CashlinkValidationError,
  type CashlinkInvestorCreate,
} from 'nestjs-cashlink';
import {
  EMULATOR_INACTIVE_CAMPAIGN_ID,
  exampleInvestorInput,
  startCashlinkEmulator,
  type CashlinkEmulator,
} from 'nestjs-cashlink/testing';
import { apiRequests, createClientApp } from './support/client-fixture';

/** Each error class for its status, produced by the emulator over real HTTP. */
describe('error classes for each status', () => {
  let emu: CashlinkEmulator;
  let app: INestApplicationContext;
  beforeAll(async () => {
    emu = await startCashlinkEmulator({ maxDocumentBytes: 1000 });
    app = await createClientApp(emu);
  });
  afterAll(async () => {
    await app.close();
    await emu.close();
  });
  beforeEach(() => emu.reset());

  const investor = (): CashlinkInvestorCreate => exampleInvestorInput() as CashlinkInvestorCreate;

  it('400 → CashlinkValidationError with nested field errors and the request id', async () => {
    const input = investor();
    (input.natural_person as { is_subject_to_us_tax: boolean }).is_subject_to_us_tax = true;
    const error = await app
      .get(CashlinkInvestorsService)
      .create(input)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkValidationError);
    const validation = error as CashlinkValidationError;
    expect(validation.status).toBe(400);
    expect(validation.fieldErrors).toHaveProperty(['natural_person', 'is_subject_to_us_tax']);
    expect(validation.message).toContain('natural_person.is_subject_to_us_tax');
    expect(validation.requestId).toEqual(expect.any(String));
    expect(validation.idempotencyKey).toEqual(expect.any(String));
    // Definitive: not retried.
    expect(apiRequests(emu, 'POST', '/v2/investors/')).toHaveLength(1);
    // No investor data in the message.
    expect(validation.message).not.toContain('Mustermann');
  });

  it('400 for an investment into an inactive campaign', async () => {
    const { id } = await app.get(CashlinkInvestorsService).create(investor());
    const error = await app
      .get(CashlinkInvestmentsService)
      .create({
        investor_id: id,
        campaign_id: EMULATOR_INACTIVE_CAMPAIGN_ID,
        units: 1,
        signed_at: new Date().toISOString(),
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkValidationError);
  });

  it('403 → CashlinkPermissionError when a scope is missing', async () => {
    const readOnly = await createClientApp(emu, { scopes: ['investors:read'] });
    try {
      const error = await readOnly
        .get(CashlinkInvestorsService)
        .create(investor())
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CashlinkPermissionError);
      expect((error as CashlinkPermissionError).status).toBe(403);
      expect((error as Error).message).toContain('scope');
    } finally {
      await readOnly.close();
    }
  });

  it('404 → CashlinkNotFoundError', async () => {
    const error = await app
      .get(CashlinkInvestmentsService)
      .get('00000000-0000-4000-8000-000000000000')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkNotFoundError);
    expect((error as CashlinkNotFoundError).path).toBe(
      '/v2/investments/00000000-0000-4000-8000-000000000000/',
    );
    expect(apiRequests(emu)).toHaveLength(1);
  });

  it('409 → CashlinkConflictError when a key is reused for another body', async () => {
    const investors = app.get(CashlinkInvestorsService);
    await investors.create(investor(), { idempotencyKey: 'reused-key' });
    const other = investor();
    (other.communication as { email: string }).email = 'other@example.com';
    const error = await investors.create(other, { idempotencyKey: 'reused-key' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkConflictError);
    expect((error as CashlinkConflictError).idempotencyKey).toBe('reused-key');
    expect(emu.investors()).toHaveLength(1);
  });

  it('413 → CashlinkPayloadTooLargeError when Cashlink refuses the size', async () => {
    const error = await app
      .get(CashlinkDocumentsService)
      .upload(Buffer.alloc(5000, 1), { filename: 'big.pdf', contentType: 'application/pdf' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkPayloadTooLargeError);
    expect(emu.documents()).toHaveLength(0);
  });

  it('5xx → CashlinkServerError', async () => {
    emu.injectFault({ route: 'GET /v2/investments/', kind: 'server_error', status: 500 });
    const error = await app
      .get(CashlinkInvestmentsService)
      .list({}, { maxRetries: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkServerError);
    expect(error).toBeInstanceOf(CashlinkApiError);
    expect((error as CashlinkServerError).status).toBe(500);
  });

  it('unknown 4xx → CashlinkApiError', async () => {
    emu.injectFault({ route: 'GET /v2/investments/', kind: 'server_error', status: 418, count: 1 });
    const error = await app
      .get(CashlinkInvestmentsService)
      .list()
      .catch((e: unknown) => e);
    expect((error as Error).constructor).toBe(CashlinkApiError);
    expect(apiRequests(emu)).toHaveLength(1);
  });

  it('accepts ids only as one path segment', async () => {
    await expect(app.get(CashlinkInvestorsService).get('')).rejects.toThrow(TypeError);
    const error = await app
      .get(CashlinkInvestorsService)
      .get('../investments')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CashlinkNotFoundError);
    expect(apiRequests(emu).map((r) => r.path)).toEqual(['/v2/investors/..%2Finvestments/']);
  });
});
