import { dinero as numberDinero, EUR as NUMBER_EUR } from 'dinero.js';
import { dinero, EUR, transformScale } from 'dinero.js/bigint';
import fc from 'fast-check';

import { CashlinkError } from '../errors/cashlink.error';
import { CashlinkMoneyError, CashlinkMoneyErrorCode } from './cashlink-money.error';
import {
  addMoney,
  CashlinkDinero,
  compareMoney,
  formatMoney,
  moneyEquals,
  moneyFromDecimalString,
  moneyFromDinero,
  moneyToDecimalString,
  moneyToDinero,
  subtractMoney,
} from './cashlink-money.functions';
import { CashlinkMoney } from './cashlink-money.types';
import { assertWireMoney, isWireMoney } from './cashlink-money.validation';

const valid: CashlinkMoney = { amount: '40000000', decimals: 3, currency: 'EUR' };

/** Runs `fn` and returns the CashlinkMoneyError it must throw. */
function moneyError(fn: () => unknown): CashlinkMoneyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CashlinkMoneyError);
    expect(error).toBeInstanceOf(CashlinkError);
    expect((error as Error).name).toBe('CashlinkMoneyError');
    return error as CashlinkMoneyError;
  }
  throw new Error('expected a CashlinkMoneyError, nothing was thrown');
}

/** Every entry point that reads one wire value must reject it the same way. */
const readers: Array<[string, (m: CashlinkMoney) => unknown]> = [
  ['moneyToDinero', (m) => moneyToDinero(m)],
  ['moneyToDecimalString', (m) => moneyToDecimalString(m)],
  ['formatMoney', (m) => formatMoney(m, 'en-US')],
  ['addMoney (left)', (m) => addMoney(m, valid)],
  ['subtractMoney (right)', (m) => subtractMoney(valid, m)],
  ['compareMoney (left)', (m) => compareMoney(m, valid)],
  ['moneyEquals (right)', (m) => moneyEquals(valid, m)],
  ['assertWireMoney', (m) => assertWireMoney(m)],
];

const malformed: Array<[string, unknown, CashlinkMoneyErrorCode]> = [
  ['amount as a number', { ...valid, amount: 40000000 }, 'invalid_amount'],
  ['amount as a bigint', { ...valid, amount: 40000000n }, 'invalid_amount'],
  ['amount with a fraction', { ...valid, amount: '400.5' }, 'invalid_amount'],
  ['amount in exponent notation', { ...valid, amount: '4e7' }, 'invalid_amount'],
  ['amount with a plus sign', { ...valid, amount: '+4' }, 'invalid_amount'],
  ['amount with spaces', { ...valid, amount: ' 4' }, 'invalid_amount'],
  ['amount with grouping', { ...valid, amount: '40,000' }, 'invalid_amount'],
  ['amount in hex', { ...valid, amount: '0x10' }, 'invalid_amount'],
  ['empty amount', { ...valid, amount: '' }, 'invalid_amount'],
  ['a lone minus', { ...valid, amount: '-' }, 'invalid_amount'],
  ['a double minus', { ...valid, amount: '--4' }, 'invalid_amount'],
  ['amount of 79 digits', { ...valid, amount: '1'.repeat(79) }, 'invalid_amount'],
  ['missing amount', { decimals: 3, currency: 'EUR' }, 'invalid_amount'],
  ['negative decimals', { ...valid, decimals: -1 }, 'invalid_decimals'],
  ['decimals above 18', { ...valid, decimals: 19 }, 'invalid_decimals'],
  ['fractional decimals', { ...valid, decimals: 1.5 }, 'invalid_decimals'],
  ['decimals as a string', { ...valid, decimals: '3' }, 'invalid_decimals'],
  ['NaN decimals', { ...valid, decimals: Number.NaN }, 'invalid_decimals'],
  ['infinite decimals', { ...valid, decimals: Number.POSITIVE_INFINITY }, 'invalid_decimals'],
  ['missing decimals', { amount: '1', currency: 'EUR' }, 'invalid_decimals'],
  ['lower-case currency', { ...valid, currency: 'eur' }, 'invalid_currency'],
  ['two-letter currency', { ...valid, currency: 'EU' }, 'invalid_currency'],
  ['four-letter currency', { ...valid, currency: 'EURO' }, 'invalid_currency'],
  ['currency symbol', { ...valid, currency: '€' }, 'invalid_currency'],
  ['currency as a number', { ...valid, currency: 978 }, 'invalid_currency'],
  ['missing currency', { amount: '1', decimals: 2 }, 'invalid_currency'],
  ['null', null, 'not_money'],
  ['a string', '40000.000', 'not_money'],
  ['a number', 40000, 'not_money'],
  ['an array', ['40000000', 3, 'EUR'], 'not_money'],
  ['undefined', undefined, 'not_money'],
];

describe('money: malformed wire money', () => {
  describe.each(readers)('%s', (_name, read) => {
    it.each(malformed)('rejects %s', (_case, value, code) => {
      expect(moneyError(() => read(value as CashlinkMoney)).code).toBe(code);
    });
  });

  it.each(malformed)('isWireMoney says false for %s', (_case, value) => {
    expect(isWireMoney(value)).toBe(false);
  });

  it('isWireMoney accepts well-formed money, including extra fields, negatives and 78 digits', () => {
    expect(isWireMoney(valid)).toBe(true);
    expect(isWireMoney({ ...valid, extra: 1 })).toBe(true);
    expect(isWireMoney({ amount: '-5', decimals: 0, currency: 'JPY' })).toBe(true);
    expect(isWireMoney({ amount: `-${'9'.repeat(78)}`, decimals: 18, currency: 'QQQ' })).toBe(true);
  });

  it('isWireMoney never throws, and whatever it accepts converts', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const ok = isWireMoney(value);
        if (ok) expect(moneyFromDinero(moneyToDinero(value))).toBeDefined();
      }),
    );
  });

  it('names the field and the rule in the message', () => {
    expect(moneyError(() => moneyToDinero({ ...valid, amount: '1.5' })).message).toMatch(
      /money amount: expected an integer string.*got "1\.5"/,
    );
    expect(moneyError(() => moneyToDinero({ ...valid, decimals: 19 })).message).toMatch(
      /money decimals: expected an integer in 0\.\.18, got 19/,
    );
    expect(moneyError(() => addMoney(valid, { ...valid, currency: 'eur' })).message).toMatch(
      /right operand currency: expected an ISO 4217 code/,
    );
  });

  it('never echoes a large payload: long strings are truncated, objects are described by type only', () => {
    const longAmount = `1${'0'.repeat(30)}x Erika Mustermann, DE89370400440532013000`;
    const amountError = moneyError(() => moneyToDinero({ ...valid, amount: longAmount }));
    expect(amountError.message).toContain('"1000000000');
    expect(amountError.message).not.toContain('Mustermann');
    expect(amountError.message).not.toContain('DE89370400440532013000');

    const investor = { first_name: 'Erika', last_name: 'Mustermann', iban: 'DE89370400440532013000' };
    for (const field of ['amount', 'decimals', 'currency'] as const) {
      const error = moneyError(() =>
        moneyToDinero({ ...valid, [field]: investor } as unknown as CashlinkMoney),
      );
      expect(error.message).not.toMatch(/Erika|Mustermann|DE89/);
      expect(error.message).toContain('object');
    }
    const notMoney = moneyError(() => moneyToDinero(investor as unknown as CashlinkMoney));
    expect(notMoney.code).toBe('invalid_amount');
    expect(notMoney.message).not.toMatch(/Erika|Mustermann|DE89/);

    const longCurrency = moneyError(() => moneyToDinero({ ...valid, currency: `EUR ${'x'.repeat(500)}` }));
    expect(longCurrency.message.length).toBeLessThan(250);
  });
});

describe('money: mixing currencies', () => {
  const usd: CashlinkMoney = { amount: '1', decimals: 2, currency: 'USD' };
  it.each([
    ['addMoney', () => addMoney(valid, usd)],
    ['subtractMoney', () => subtractMoney(valid, usd)],
    ['compareMoney', () => compareMoney(valid, usd)],
    ['moneyEquals', () => moneyEquals(usd, valid)],
  ])('%s refuses EUR with USD', (_name, run) => {
    const error = moneyError(run);
    expect(error.code).toBe('currency_mismatch');
    expect(error.message).toMatch(/EUR and USD|USD and EUR/);
  });
});

describe('money: malformed decimal strings', () => {
  it.each([
    '1e5',
    '1,5',
    '.5',
    '5.',
    '+1',
    ' 1',
    '1 ',
    '',
    '-',
    'abc',
    '1.2.3',
    '١٢٣',
    '0x10',
    'Infinity',
    'NaN',
  ])('rejects %j', (text) => {
    expect(moneyError(() => moneyFromDecimalString(text, 'EUR')).code).toBe('invalid_decimal_string');
  });

  it('rejects non-strings and absurdly long strings without echoing them', () => {
    expect(moneyError(() => moneyFromDecimalString(12.5 as unknown as string, 'EUR')).code).toBe(
      'invalid_decimal_string',
    );
    const huge = moneyError(() => moneyFromDecimalString('9'.repeat(10_000), 'EUR'));
    expect(huge.code).toBe('invalid_decimal_string');
    expect(huge.message.length).toBeLessThan(250);
  });

  it('refuses to round: non-zero digits beyond decimals are an error', () => {
    expect(moneyError(() => moneyFromDecimalString('1.234', 'EUR', 2)).code).toBe('precision_loss');
    expect(moneyError(() => moneyFromDecimalString('-0.001', 'EUR', 2)).code).toBe('precision_loss');
    expect(moneyError(() => moneyFromDecimalString('1.5', 'JPY', 0)).code).toBe('precision_loss');
  });

  it('rejects more than 18 fraction digits, more than 78 amount digits, and bad currency or decimals', () => {
    expect(moneyError(() => moneyFromDecimalString(`0.${'1'.repeat(19)}`, 'EUR')).code).toBe(
      'invalid_decimal_string',
    );
    expect(moneyError(() => moneyFromDecimalString(`${'9'.repeat(70)}.${'9'.repeat(9)}`, 'EUR')).code).toBe(
      'invalid_amount',
    );
    expect(moneyError(() => moneyFromDecimalString('1', 'eur')).code).toBe('invalid_currency');
    expect(moneyError(() => moneyFromDecimalString('1', 'EUR', 19)).code).toBe('invalid_decimals');
    expect(moneyError(() => moneyFromDecimalString('1', 'EUR', -1)).code).toBe('invalid_decimals');
  });
});

describe('money: dinero.js values that are not wire money', () => {
  it('rejects a number-based dinero.js object (not exact beyond 2^53)', () => {
    const d = numberDinero({ amount: 100, currency: NUMBER_EUR }) as unknown as CashlinkDinero;
    expect(moneyError(() => moneyFromDinero(d)).code).toBe('unsupported_dinero');
  });

  it('rejects a scale above 18', () => {
    const d = transformScale(dinero({ amount: 1n, currency: EUR }), 19n);
    expect(moneyError(() => moneyFromDinero(d)).code).toBe('unsupported_dinero');
  });

  it('rejects a non-decimal currency and a malformed code', () => {
    const gold = dinero({ amount: 1n, currency: { code: 'XAU', base: 16n, exponent: 1n } });
    expect(moneyError(() => moneyFromDinero(gold)).code).toBe('unsupported_dinero');
    const odd = dinero({ amount: 1n, currency: { code: 'eur', base: 10n, exponent: 2n } });
    expect(moneyError(() => moneyFromDinero(odd)).code).toBe('invalid_currency');
  });

  it('rejects a result too large for wire money, and things that are not dinero.js objects', () => {
    const big = dinero({ amount: 10n ** 78n, currency: EUR, scale: 2n });
    expect(moneyError(() => moneyFromDinero(big)).code).toBe('invalid_amount');
    expect(moneyError(() => moneyFromDinero(valid as unknown as CashlinkDinero)).code).toBe(
      'unsupported_dinero',
    );
    expect(moneyError(() => moneyFromDinero(null as unknown as CashlinkDinero)).code).toBe(
      'unsupported_dinero',
    );
    const impostor = { toJSON: () => ({ amount: 1n, scale: 2n }) } as unknown as CashlinkDinero;
    expect(moneyError(() => moneyFromDinero(impostor)).code).toBe('unsupported_dinero');
  });
});

describe('money: results that would not be wire money', () => {
  it('refuses a sum beyond 78 digits instead of returning it', () => {
    const max = { amount: '9'.repeat(78), decimals: 0, currency: 'EUR' };
    expect(moneyError(() => addMoney(max, { amount: '1', decimals: 0, currency: 'EUR' })).code).toBe(
      'invalid_amount',
    );
  });
});

describe('money: formatting with a bad locale', () => {
  it.each(['not a locale!', 'xx-invalid-@@', 42])('rejects %j', (locale) => {
    const error = moneyError(() => formatMoney(valid, locale as string));
    expect(error.code).toBe('invalid_locale');
  });
});
