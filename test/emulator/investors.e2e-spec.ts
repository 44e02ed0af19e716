import {
  exampleIdentificationInput,
  exampleInvestorInput,
  startCashlinkEmulator,
  type CashlinkEmulator,
} from 'nestjs-cashlink/testing';
import { api, createIdentifiedInvestor, createInvestor, getToken, upload } from './emulator-test.helpers';

describe('emulator: investors, identifications and wallets', () => {
  let emu: CashlinkEmulator;
  let token: string;

  beforeAll(async () => {
    emu = await startCashlinkEmulator();
    token = await getToken(emu);
  });
  afterAll(() => emu.close());
  beforeEach(() => emu.reset());

  const natural = { ...exampleInvestorInput().natural_person } as Record<string, unknown>;

  describe('POST /v2/investors/', () => {
    it('creates an investor: 201 with id and the fields, without the write-only is_beneficiary', async () => {
      const answer = await api(emu, token, 'POST', '/v2/investors/', { json: exampleInvestorInput() });
      expect(answer.status).toBe(201);
      const { is_beneficiary: _omitted, ...expected } = exampleInvestorInput();
      expect(answer.body).toEqual({
        ...expected,
        id: expect.any(String),
        legal_person: null,
        created_at: expect.any(String),
      });
      expect(answer.body).not.toHaveProperty('is_beneficiary');
      expect(emu.investors()).toEqual([answer.body]);
      expect(answer.headers.get('x-request-id')).toEqual(expect.any(String));
    });

    it('answers 400 in the DRF shape, nested for nested objects, and stores nothing', async () => {
      const answer = await api(emu, token, 'POST', '/v2/investors/', {
        json: {
          natural_person: {
            ...natural,
            forename: '',
            birth_date: '12.04.1980',
            country: 'Germany',
            is_pep: 'no',
          },
          bank_account: { account_holder: 'E M', iban: 'DE00370400440532013000' },
          communication: { email: 'not-an-email' },
          tax_information: 'none',
        },
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        is_beneficiary: ['This field is required.'],
        natural_person: {
          forename: ['This field may not be blank.'],
          birth_date: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'],
          country: [expect.stringContaining('alpha-3')],
          is_pep: ['Must be a valid boolean.'],
        },
        bank_account: { iban: ['Enter a valid IBAN.'] },
        communication: { email: ['Enter a valid email address.'] },
        tax_information: { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] },
      });
      expect(emu.investors()).toEqual([]);
    });

    it('requires natural_person and lists its required fields', async () => {
      const missing = await api(emu, token, 'POST', '/v2/investors/', { json: { is_beneficiary: true } });
      expect(missing.status).toBe(400);
      expect(missing.body).toEqual({ natural_person: ['This field is required.'] });
      const empty = await api(emu, token, 'POST', '/v2/investors/', {
        json: { is_beneficiary: true, natural_person: {} },
      });
      expect(Object.keys((empty.body as { natural_person: object }).natural_person).sort()).toEqual(
        [
          'birth_date',
          'citizenship',
          'city',
          'country',
          'forename',
          'salutation',
          'street',
          'surname',
          'zip',
        ].sort(),
      );
    });

    it('rejects an investor who is subject to US tax (fact from the docs)', async () => {
      const answer = await api(emu, token, 'POST', '/v2/investors/', {
        json: { ...exampleInvestorInput(), natural_person: { ...natural, is_subject_to_us_tax: true } },
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ natural_person: { is_subject_to_us_tax: [expect.any(String)] } });
    });

    it('rejects an unknown salutation and a birth date in the future', async () => {
      const answer = await api(emu, token, 'POST', '/v2/investors/', {
        json: {
          ...exampleInvestorInput(),
          natural_person: { ...natural, salutation: 'DR', birth_date: '2999-01-01' },
        },
      });
      expect(answer.body).toEqual({
        natural_person: {
          salutation: ['"DR" is not a valid choice.'],
          birth_date: ['The birth date must be in the past.'],
        },
      });
    });

    it('creates a legal person whose proofs are uploaded documents, and rejects unknown document ids', async () => {
      const proof = await upload(emu, token, Buffer.from('%PDF-1.7 register extract'));
      const legal = {
        company_name: 'Muster GmbH',
        commercial_register: 'Amtsgericht Berlin',
        commercial_register_number: 'HRB 12345',
        company_identity_proof_id: proof.body.id,
        company_structure_proof_id: proof.body.id,
        street: 'Hauptstraße 5',
        city: 'Berlin',
        zip: '10117',
        country: 'DEU',
      };
      const created = await api(emu, token, 'POST', '/v2/investors/', {
        json: { ...exampleInvestorInput(), legal_person: legal },
      });
      expect(created.status).toBe(201);
      expect(created.body.legal_person).toMatchObject({ company_name: 'Muster GmbH' });
      const unknown = await api(emu, token, 'POST', '/v2/investors/', {
        json: { ...exampleInvestorInput(), legal_person: { ...legal, company_structure_proof_id: 'nope' } },
      });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toEqual({
        legal_person: { company_structure_proof_id: [expect.stringContaining('nope')] },
      });
    });
  });

  describe('GET and PATCH /v2/investors/{id}/', () => {
    it('reads an investor and answers 404 {"detail"} for an unknown id', async () => {
      const id = await createInvestor(emu, token);
      const read = await api(emu, token, 'GET', `/v2/investors/${id}/`);
      expect(read.status).toBe(200);
      expect(read.body.id).toBe(id);
      const missing = await api(emu, token, 'GET', '/v2/investors/does-not-exist/');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ detail: expect.any(String) });
    });

    it('updates nested objects partially and keeps the rest', async () => {
      const id = await createInvestor(emu, token);
      const answer = await api(emu, token, 'PATCH', `/v2/investors/${id}/`, {
        json: { communication: { email: 'new@example.com' } },
      });
      expect(answer.status).toBe(200);
      expect(answer.body.communication).toEqual({ email: 'new@example.com', email_confirmed: true });
      expect(answer.body.natural_person).toEqual(natural);
      expect((await api(emu, token, 'GET', `/v2/investors/${id}/`)).body.communication.email).toBe(
        'new@example.com',
      );
    });

    it('rejects an invalid patch in the DRF shape and changes nothing', async () => {
      const id = await createInvestor(emu, token);
      const answer = await api(emu, token, 'PATCH', `/v2/investors/${id}/`, {
        json: { natural_person: { is_subject_to_us_tax: true }, communication: { email: 'x' } },
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        natural_person: { is_subject_to_us_tax: [expect.any(String)] },
        communication: { email: ['Enter a valid email address.'] },
      });
      expect(emu.investors()[0]!.communication).toEqual({
        email: 'erika@example.com',
        email_confirmed: true,
      });
    });

    it('answers 404 when patching an unknown investor', async () => {
      const answer = await api(emu, token, 'PATCH', '/v2/investors/nope/', { json: {} });
      expect(answer.status).toBe(404);
    });
  });

  describe('POST /v2/investors/{id}/identifications/', () => {
    it('creates an identification: 201 {"id"}', async () => {
      const id = await createInvestor(emu, token);
      const answer = await api(emu, token, 'POST', `/v2/investors/${id}/identifications/`, {
        json: exampleIdentificationInput(),
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({ id: expect.any(String) });
      expect(emu.identifications()).toEqual([
        expect.objectContaining({ id: answer.body.id, investor_id: id, document_type: 'IDCARD' }),
      ]);
    });

    it('validates the identification', async () => {
      const id = await createInvestor(emu, token);
      const answer = await api(emu, token, 'POST', `/v2/investors/${id}/identifications/`, {
        json: {
          ...exampleIdentificationInput(),
          document_type: 'DRIVING_LICENCE',
          document_valid_from: '2030-01-01',
          document_valid_to: '2029-01-01',
          verified_at: 'yesterday',
          legitimation_protocol_id: 'missing-doc',
        },
      });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({
        document_type: ['"DRIVING_LICENCE" is not a valid choice.'],
        document_valid_to: [expect.any(String)],
        verified_at: [expect.stringContaining('Datetime has wrong format')],
        legitimation_protocol_id: [expect.stringContaining('missing-doc')],
      });
    });

    it('answers 404 for an unknown investor', async () => {
      const answer = await api(emu, token, 'POST', '/v2/investors/nope/identifications/', {
        json: exampleIdentificationInput(),
      });
      expect(answer.status).toBe(404);
    });
  });

  describe('wallets', () => {
    const address = '0x52908400098527886E0F7030069857D2E4169EE7';

    it('needs a successful identification first (fact from the docs)', async () => {
      const id = await createInvestor(emu, token);
      for (const [path, json] of [
        ['eth-generic', { address }],
        ['eth-managed', undefined],
      ] as const) {
        const answer = await api(emu, token, 'POST', `/v2/investors/${id}/wallets/${path}/`, { json });
        expect(answer.status).toBe(400);
        expect(answer.body).toEqual({ non_field_errors: [expect.stringContaining('identification')] });
      }
      expect(emu.wallets()).toEqual([]);
    });

    it('creates a generic wallet and validates its address', async () => {
      const id = await createIdentifiedInvestor(emu, token);
      const bad = await api(emu, token, 'POST', `/v2/investors/${id}/wallets/eth-generic/`, {
        json: { address: '0x123', receiving_enabled: 'yes' },
      });
      expect(bad.status).toBe(400);
      expect(bad.body).toEqual({
        address: [expect.stringContaining('Ethereum address')],
        receiving_enabled: ['Must be a valid boolean.'],
      });
      const ok = await api(emu, token, 'POST', `/v2/investors/${id}/wallets/eth-generic/`, {
        json: { address, receiving_enabled: false },
      });
      expect(ok.status).toBe(201);
      expect(ok.body).toEqual({
        id: expect.any(String),
        investor_id: id,
        type: 'eth-generic',
        address,
        receiving_enabled: false,
        created_at: expect.any(String),
      });
    });

    it('creates at most one managed wallet per investor, with a generated address, and no body', async () => {
      const id = await createIdentifiedInvestor(emu, token);
      const first = await api(emu, token, 'POST', `/v2/investors/${id}/wallets/eth-managed/`);
      expect(first.status).toBe(201);
      expect(first.body).toMatchObject({
        type: 'eth-managed',
        address: expect.stringMatching(/^0x[0-9a-f]{40}$/),
      });
      const second = await api(emu, token, 'POST', `/v2/investors/${id}/wallets/eth-managed/`, { json: {} });
      expect(second.status).toBe(400);
      expect(second.body).toEqual({ non_field_errors: [expect.stringContaining('already')] });
      expect(emu.wallets()).toHaveLength(1);
    });
  });
});
