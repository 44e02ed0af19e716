import { FieldReader, isValidDate, isValidIban, isValidTimestamp } from './emulator-validation';

describe('emulator validation helpers', () => {
  it.each([
    ['DE89370400440532013000', true],
    ['DE89 3704 0044 0532 0130 00', true],
    ['GB82WEST12345698765432', true],
    ['DE88370400440532013000', false],
    ['DE8937040044', false],
    ['XX', false],
  ])('IBAN %s valid: %s', (iban, valid) => {
    expect(isValidIban(iban)).toBe(valid);
  });

  it('accepts only real calendar dates in YYYY-MM-DD', () => {
    expect(isValidDate('2024-02-29')).toBe(true);
    expect(isValidDate('2023-02-29')).toBe(false);
    expect(isValidDate('2024-2-1')).toBe(false);
    expect(isValidDate(20240101)).toBe(false);
  });

  it('accepts ISO 8601 timestamps with a zone only', () => {
    expect(isValidTimestamp('2020-08-10T14:06:22.134Z')).toBe(true);
    expect(isValidTimestamp('2020-08-10T14:06+02:00')).toBe(true);
    expect(isValidTimestamp('2020-08-10T14:06:22')).toBe(false);
    expect(isValidTimestamp('2020-13-10T14:06:22Z')).toBe(false);
  });

  it('collects DRF messages per field and nests errors of nested objects', () => {
    const reader = new FieldReader({ a: null, b: '', c: 'x', nested: { n: 1 } });
    reader.string('a', { required: true });
    reader.string('b');
    reader.integer('c');
    reader.string('missing', { required: true });
    reader.nested('nested', {}, (value) => {
      const inner = new FieldReader(value);
      inner.boolean('n');
      return inner;
    });
    expect(reader.errors).toEqual({
      a: ['This field may not be null.'],
      b: ['This field may not be blank.'],
      c: ['A valid integer is required.'],
      missing: ['This field is required.'],
      nested: { n: ['Must be a valid boolean.'] },
    });
  });

  it('requires nothing in partial mode', () => {
    const reader = new FieldReader({}, true);
    reader.string('missing', { required: true });
    expect(reader.errors).toEqual({});
  });
});
