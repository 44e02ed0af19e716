import { MASK, maskPersonalData, maskText } from './ops-masking';

describe('maskPersonalData', () => {
  const investor = {
    natural_person: { forename: 'Erika', surname: 'Mustermann', birth_date: '1980-04-12', is_pep: false },
    bank_account: { iban: 'DE89370400440532013000' },
    communication: { email: 'erika@example.com' },
    id: 'a1b2',
  };

  it('masks every personal leaf and keeps ids, structure and keys', () => {
    expect(maskPersonalData(investor)).toEqual({
      natural_person: { forename: MASK, surname: MASK, birth_date: MASK, is_pep: MASK },
      bank_account: { iban: MASK },
      communication: { email: MASK },
      id: 'a1b2',
    });
  });

  it('keeps the fields that identify an investment without describing a person', () => {
    const investment = { investor_id: 'i', campaign_id: 'c', units: 3, signed_at: 't', status: 'ACCEPTED' };
    expect(maskPersonalData({ json: investment })).toEqual({ json: investment });
  });

  it('reveal returns the value unchanged', () => {
    expect(maskPersonalData(investor, true)).toBe(investor);
  });

  it('masks arrays element by element and leaves null alone', () => {
    expect(maskPersonalData({ names: ['a', 'b'], wallet: null })).toEqual({
      names: [MASK, MASK],
      wallet: null,
    });
  });

  it('a raw text shows only its size unless revealed', () => {
    expect(maskText('{"name":"Erika"}')).toBe(`${MASK} (16 bytes; --reveal to show)`);
    expect(maskText('x', true)).toBe('x');
    expect(maskText(null)).toBeNull();
  });
});
