import { dinero, toDecimal, toSnapshot, transformScale, add as dineroAdd, EUR } from 'dinero.js/bigint';
import fc from 'fast-check';

import {
  addMoney,
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
import { isWireMoney } from './cashlink-money.validation';

const TWO_POW_53 = 2n ** 53n;
const MAX_78_DIGITS = 10n ** 78n - 1n;

/** Amounts of every size, with a dedicated branch far beyond 2^53 in both signs. */
const amountArb = (limit: bigint = MAX_78_DIGITS): fc.Arbitrary<bigint> =>
  fc.oneof(
    fc.bigInt(-1000n, 1000n),
    fc.bigInt(-TWO_POW_53 * 4n, TWO_POW_53 * 4n),
    fc.bigInt(TWO_POW_53 + 1n, limit),
    fc.bigInt(-limit, -TWO_POW_53 - 1n),
  );
const decimalsArb = fc.integer({ min: 0, max: 18 });
/** Known dinero.js currencies (with exponents 0, 2, 3, 4) and codes dinero.js does not know. */
const currencyArb = fc.oneof(
  fc.constantFrom('EUR', 'USD', 'JPY', 'KWD', 'CLF', 'CHF', 'MGA', 'MRU'),
  fc.stringMatching(/^[A-Z]{3}$/),
);
const wireArb = (limit?: bigint): fc.Arbitrary<CashlinkMoney> =>
  fc.record({ amount: amountArb(limit).map(String), decimals: decimalsArb, currency: currencyArb });

/** The oracle: value × 10^18 as an exact bigint (every decimals value is ≤ 18). */
const scaled = (w: CashlinkMoney): bigint => BigInt(w.amount) * 10n ** BigInt(18 - w.decimals);

describe('money: wire ↔ dinero.js', () => {
  it('wire → dinero → wire is the identity, for huge, negative and every decimals value', () => {
    fc.assert(
      fc.property(wireArb(), (wire) => {
        const d = moneyToDinero(wire);
        const snapshot = toSnapshot(d);
        expect(snapshot.amount).toBe(BigInt(wire.amount));
        expect(snapshot.scale).toBe(BigInt(wire.decimals));
        expect(snapshot.currency.code).toBe(wire.currency);
        expect(moneyFromDinero(d)).toEqual(wire);
      }),
      { numRuns: 500 },
    );
  });

  it('covers every decimals value 0..18 and amounts beyond 2^53 explicitly', () => {
    for (let decimals = 0; decimals <= 18; decimals++) {
      for (const amount of [
        '0',
        '1',
        '-1',
        String(TWO_POW_53 + 1n),
        String(-(TWO_POW_53 + 1n)),
        String(MAX_78_DIGITS),
        String(-MAX_78_DIGITS),
      ]) {
        const wire = { amount, decimals, currency: 'EUR' };
        expect(moneyFromDinero(moneyToDinero(wire))).toEqual(wire);
      }
    }
  });

  it('agrees with dinero.js on the decimal value (so dinero.js arithmetic sees the same number)', () => {
    fc.assert(
      fc.property(wireArb(), (wire) => {
        expect(toDecimal(moneyToDinero(wire))).toBe(moneyToDecimalString(wire));
      }),
      { numRuns: 300 },
    );
  });

  it("uses dinero.js's own currency for known codes, and base 10 with exponent = decimals otherwise", () => {
    const eur = toSnapshot(moneyToDinero({ amount: '40000000', decimals: 3, currency: 'EUR' }));
    expect(eur.currency).toEqual(EUR);
    expect(eur.scale).toBe(3n);
    // The currency's own exponent, not the wire decimals: the lookup found dinero.js's JPY.
    const jpy = toSnapshot(moneyToDinero({ amount: '5', decimals: 3, currency: 'JPY' }));
    expect(jpy.currency).toEqual({ code: 'JPY', base: 10n, exponent: 0n });
    // dinero.js defines MGA/MRU with base 5; wire money is decimal, so the value must still be amount / 10^decimals.
    for (const code of ['MGA', 'MRU']) {
      const wire = { amount: '125', decimals: 2, currency: code };
      expect(toDecimal(moneyToDinero(wire))).toBe('1.25');
      expect(moneyFromDinero(moneyToDinero(wire))).toEqual(wire);
    }
    const unknown = toSnapshot(moneyToDinero({ amount: '5', decimals: 4, currency: 'QQQ' }));
    expect(unknown.currency).toEqual({ code: 'QQQ', base: 10n, exponent: 4n });
  });

  it('reads back dinero.js results, e.g. a sum across scales', () => {
    const a = moneyToDinero({ amount: '40000000', decimals: 3, currency: 'EUR' });
    const b = dinero({ amount: 1n, currency: EUR, scale: 2n });
    expect(moneyFromDinero(dineroAdd(a, b))).toEqual({ amount: '40000010', decimals: 3, currency: 'EUR' });
    expect(moneyFromDinero(transformScale(a, 6n))).toEqual({
      amount: '40000000000',
      decimals: 6,
      currency: 'EUR',
    });
  });

  it('canonicalises the amount (leading zeros, -0) without changing the value', () => {
    expect(moneyFromDinero(moneyToDinero({ amount: '-000120', decimals: 2, currency: 'EUR' }))).toEqual({
      amount: '-120',
      decimals: 2,
      currency: 'EUR',
    });
    expect(moneyFromDinero(moneyToDinero({ amount: '-0', decimals: 0, currency: 'EUR' })).amount).toBe('0');
  });
});

describe('money: decimal strings', () => {
  it('turns wire money into the exact decimal string', () => {
    expect(moneyToDecimalString({ amount: '40000000', decimals: 3, currency: 'EUR' })).toBe('40000.000');
    expect(moneyToDecimalString({ amount: '-1', decimals: 2, currency: 'EUR' })).toBe('-0.01');
    expect(moneyToDecimalString({ amount: '0', decimals: 3, currency: 'EUR' })).toBe('0.000');
    expect(moneyToDecimalString({ amount: '-42', decimals: 0, currency: 'JPY' })).toBe('-42');
    expect(moneyToDecimalString({ amount: '9007199254740993', decimals: 18, currency: 'EUR' })).toBe(
      '0.009007199254740993',
    );
  });

  it('wire → decimal string → wire is the identity', () => {
    fc.assert(
      fc.property(wireArb(), (wire) => {
        const text = moneyToDecimalString(wire);
        expect(text).toMatch(
          wire.decimals === 0 ? /^-?\d+$/ : new RegExp(`^-?\\d+\\.\\d{${wire.decimals}}$`),
        );
        expect(moneyFromDecimalString(text, wire.currency)).toEqual(wire);
        expect(moneyFromDecimalString(text, wire.currency, wire.decimals)).toEqual(wire);
      }),
      { numRuns: 500 },
    );
  });

  it('decimal string → wire → decimal string is the identity for canonical strings', () => {
    const canonical = fc
      .tuple(
        fc.boolean(),
        // At most 60 whole digits + 18 fraction digits = 78, the wire limit (10n ** 60n itself has 61).
        fc.bigInt(0n, 10n ** 60n - 1n),
        fc.integer({ min: 0, max: 18 }),
        fc.bigInt(0n, 10n ** 18n - 1n),
      )
      .map(([negative, whole, digits, fraction]) => {
        const frac =
          digits === 0 ? '' : `.${(fraction % 10n ** BigInt(digits)).toString().padStart(digits, '0')}`;
        const text = `${whole}${frac}`;
        return negative && /[1-9]/.test(text) ? `-${text}` : text;
      });
    fc.assert(
      fc.property(canonical, (text) => {
        expect(moneyToDecimalString(moneyFromDecimalString(text, 'EUR'))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  it('widens to a requested larger decimals exactly and drops only zero digits when narrowing', () => {
    expect(moneyFromDecimalString('40000', 'EUR', 3)).toEqual({
      amount: '40000000',
      decimals: 3,
      currency: 'EUR',
    });
    expect(moneyFromDecimalString('-12.5', 'EUR', 2)).toEqual({
      amount: '-1250',
      decimals: 2,
      currency: 'EUR',
    });
    expect(moneyFromDecimalString('1.2300', 'EUR', 2)).toEqual({
      amount: '123',
      decimals: 2,
      currency: 'EUR',
    });
    fc.assert(
      fc.property(wireArb(10n ** 50n), fc.integer({ min: 0, max: 18 }), (wire, extra) => {
        const decimals = Math.min(18, wire.decimals + extra);
        const widened = moneyFromDecimalString(moneyToDecimalString(wire), wire.currency, decimals);
        expect(widened.decimals).toBe(decimals);
        expect(scaled(widened)).toBe(scaled(wire));
      }),
    );
  });
});

describe('money: arithmetic and comparison', () => {
  const pairArb = fc
    .tuple(wireArb(10n ** 55n), wireArb(10n ** 55n))
    .map(([a, b]) => [a, { ...b, currency: a.currency }] as const);

  it('add and subtract agree with bigint arithmetic, at the larger decimals', () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        const decimals = Math.max(a.decimals, b.decimals);
        const norm = (w: CashlinkMoney) => BigInt(w.amount) * 10n ** BigInt(decimals - w.decimals);
        const sum = addMoney(a, b);
        const difference = subtractMoney(a, b);
        expect(sum).toEqual({ amount: String(norm(a) + norm(b)), decimals, currency: a.currency });
        expect(difference).toEqual({ amount: String(norm(a) - norm(b)), decimals, currency: a.currency });
        expect(scaled(sum)).toBe(scaled(a) + scaled(b));
        expect(isWireMoney(sum) && isWireMoney(difference)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('compare and equals agree with the exact values, whatever the decimals', () => {
    fc.assert(
      fc.property(pairArb, ([a, b]) => {
        const expected = scaled(a) < scaled(b) ? -1 : scaled(a) > scaled(b) ? 1 : 0;
        expect(compareMoney(a, b)).toBe(expected);
        expect(compareMoney(b, a)).toBe(-expected || 0);
        expect(moneyEquals(a, b)).toBe(expected === 0);
      }),
      { numRuns: 500 },
    );
  });

  it('sees a difference of one unit far beyond 2^53', () => {
    fc.assert(
      fc.property(wireArb(10n ** 70n), (wire) => {
        const next = { ...wire, amount: String(BigInt(wire.amount) + 1n) };
        expect(compareMoney(wire, next)).toBe(-1);
        expect(compareMoney(next, wire)).toBe(1);
        expect(moneyEquals(wire, next)).toBe(false);
      }),
    );
    const big = { amount: String(TWO_POW_53 + 1n), decimals: 0, currency: 'EUR' };
    expect(compareMoney(big, { ...big, amount: String(TWO_POW_53) })).toBe(1);
  });

  it('treats the same value at different decimals as equal', () => {
    fc.assert(
      fc.property(wireArb(10n ** 50n), fc.integer({ min: 0, max: 18 }), (wire, extra) => {
        const decimals = Math.min(18, wire.decimals + extra);
        const rescaled = {
          ...wire,
          amount: String(BigInt(wire.amount) * 10n ** BigInt(decimals - wire.decimals)),
          decimals,
        };
        expect(moneyEquals(wire, rescaled)).toBe(true);
        expect(compareMoney(wire, rescaled)).toBe(0);
      }),
    );
    expect(
      moneyEquals(
        { amount: '1000', decimals: 3, currency: 'EUR' },
        { amount: '100', decimals: 2, currency: 'EUR' },
      ),
    ).toBe(true);
    expect(
      moneyEquals(
        { amount: '1001', decimals: 3, currency: 'EUR' },
        { amount: '100', decimals: 2, currency: 'EUR' },
      ),
    ).toBe(false);
  });

  it('adds beyond 2^53 without losing the last digit', () => {
    const a = { amount: '9007199254740993', decimals: 0, currency: 'EUR' };
    expect(addMoney(a, { amount: '1', decimals: 0, currency: 'EUR' }).amount).toBe('9007199254740994');
    expect(subtractMoney(a, { amount: '2', decimals: 1, currency: 'EUR' })).toEqual({
      amount: '90071992547409928',
      decimals: 1,
      currency: 'EUR',
    });
  });
});

describe('money: formatting', () => {
  it('formats with the wire precision and the locale', () => {
    expect(formatMoney({ amount: '40000000', decimals: 3, currency: 'EUR' }, 'de-DE')).toBe(
      '40.000,000\u00a0€',
    );
    expect(formatMoney({ amount: '-1', decimals: 2, currency: 'USD' }, 'en-US')).toBe('-$0.01');
    expect(formatMoney({ amount: '42', decimals: 0, currency: 'EUR' }, 'en-US')).toBe('€42');
    expect(formatMoney({ amount: '5', decimals: 2, currency: 'QQQ' }, 'en-US')).toMatch(/^QQQ\s0\.05$/);
  });

  it('never passes through a float: every digit of a huge amount survives', () => {
    expect(formatMoney({ amount: '123456789012345678901', decimals: 3, currency: 'EUR' }, 'de-DE')).toBe(
      '123.456.789.012.345.678,901\u00a0€',
    );
    fc.assert(
      fc.property(wireArb(), (wire) => {
        const shown = formatMoney(wire, 'en-US');
        const digits = moneyToDecimalString(wire).replace(/[^0-9]/g, '');
        expect(shown.replace(/[^0-9]/g, '').replace(/^0+(?=\d)/, '')).toBe(digits.replace(/^0+(?=\d)/, ''));
        expect(shown.startsWith('-')).toBe(BigInt(wire.amount) < 0n);
      }),
      { numRuns: 300 },
    );
  });
});
