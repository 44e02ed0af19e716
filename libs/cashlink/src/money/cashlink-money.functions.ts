import { dinero, toSnapshot, type Dinero, type DineroCurrency } from 'dinero.js/bigint';
import * as bigintCurrencies from 'dinero.js/bigint/currencies';

import { CashlinkMoneyError } from './cashlink-money.error';
import {
  CASHLINK_MONEY_MAX_AMOUNT_DIGITS,
  CASHLINK_MONEY_MAX_DECIMALS,
  CashlinkMoney,
} from './cashlink-money.types';
import {
  assertCurrencyCode,
  assertDecimals,
  describeRejected,
  ParsedMoney,
  parseWireMoney,
} from './cashlink-money.validation';

/** A dinero.js v2 value with bigint amounts, as produced by {@link moneyToDinero}. */
export type CashlinkDinero = Dinero<bigint>;

/** `-1` when the left value is smaller, `0` when equal, `1` when larger. */
export type CashlinkMoneyComparison = -1 | 0 | 1;

/** Longest decimal string {@link moneyFromDecimalString} reads (sign, 78 digits, point, 18 digits, slack). */
const MAX_DECIMAL_STRING_LENGTH = 1 + CASHLINK_MONEY_MAX_AMOUNT_DIGITS + 1 + CASHLINK_MONEY_MAX_DECIMALS + 20;
const DECIMAL_STRING_PATTERN = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

const knownCurrencies = bigintCurrencies as unknown as Readonly<Record<string, unknown>>;

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

function abs(value: bigint): bigint {
  return value < 0n ? -value : value;
}

/**
 * The dinero.js currency for a code. Known ISO 4217 codes use dinero.js's own definitions (so values
 * interoperate with code that imports `EUR` from `dinero.js/bigint/currencies`). A well-formed code that
 * dinero.js does not know (a new or test currency) is not an error: Cashlink's `decimals` is the best
 * exponent we have, and the amount stays exact either way because the scale carries the precision.
 *
 * dinero.js defines MGA and MRU with base 5 (their historical sub-units), and a dinero.js scale counts
 * powers of the base: with those definitions `{ amount: "125", decimals: 2 }` would mean 125 / 5^2 = 5
 * instead of 1.25. Cashlink money is decimal by definition, so non-decimal definitions are replaced by a
 * base-10 one, like an unknown code.
 */
function dineroCurrency(code: string, decimals: number): DineroCurrency<bigint> {
  const known = Object.hasOwn(knownCurrencies, code) ? knownCurrencies[code] : undefined;
  if (isDecimalDineroCurrency(known) && known.code === code) return known;
  return { code, base: 10n, exponent: BigInt(decimals) };
}

function isDecimalDineroCurrency(value: unknown): value is DineroCurrency<bigint> {
  return typeof value === 'object' && value !== null && (value as DineroCurrency<bigint>).base === 10n;
}

/** Builds wire money from parts, refusing results that would not be valid wire money themselves. */
function toWire(amount: bigint, decimals: number, currency: string, what: string): CashlinkMoney {
  const digits = abs(amount).toString();
  if (digits.length > CASHLINK_MONEY_MAX_AMOUNT_DIGITS) {
    throw new CashlinkMoneyError(
      'invalid_amount',
      `The ${what} has ${digits.length} digits; wire money allows at most ${CASHLINK_MONEY_MAX_AMOUNT_DIGITS}.`,
    );
  }
  return { amount: amount.toString(), decimals, currency };
}

function decimalString(amount: bigint, decimals: number): string {
  const sign = amount < 0n ? '-' : '';
  const digits = abs(amount).toString();
  if (decimals === 0) return `${sign}${digits}`;
  const padded = digits.padStart(decimals + 1, '0');
  return `${sign}${padded.slice(0, -decimals)}.${padded.slice(-decimals)}`;
}

/** Brings two same-currency values to the larger number of decimals (exact: only ever multiplies). */
function normalise(
  left: unknown,
  right: unknown,
  operation: string,
): { a: bigint; b: bigint; decimals: number; currency: string } {
  const l = parseWireMoney(left, 'left operand');
  const r = parseWireMoney(right, 'right operand');
  assertSameCurrency(l, r, operation);
  const decimals = Math.max(l.decimals, r.decimals);
  return {
    a: l.amount * pow10(decimals - l.decimals),
    b: r.amount * pow10(decimals - r.decimals),
    decimals,
    currency: l.currency,
  };
}

function assertSameCurrency(l: ParsedMoney, r: ParsedMoney, operation: string): void {
  if (l.currency !== r.currency) {
    throw new CashlinkMoneyError(
      'currency_mismatch',
      `Cannot ${operation} ${l.currency} and ${r.currency} money: both values must have the same currency.`,
    );
  }
}

/**
 * Converts wire money to a dinero.js v2 bigint value: amount `BigInt(amount)`, scale `decimals`, currency
 * from `dinero.js/bigint/currencies` when known (else `{ code, base: 10n, exponent: decimals }`).
 *
 * @throws {CashlinkMoneyError} when `wire` is malformed.
 */
export function moneyToDinero(wire: CashlinkMoney): CashlinkDinero {
  const { amount, decimals, currency } = parseWireMoney(wire);
  return dinero({ amount, currency: dineroCurrency(currency, decimals), scale: BigInt(decimals) });
}

/**
 * Converts a dinero.js v2 bigint value back to wire money: `amount` as an integer string, `decimals` = the
 * value's scale, `currency` = its code. `moneyFromDinero(moneyToDinero(w))` returns `w` (with the amount in
 * canonical form: no leading zeros, no `-0`).
 *
 * @throws {CashlinkMoneyError} (`unsupported_dinero`) for number-based dinero objects, non-decimal
 * currencies or a scale outside 0..18; (`invalid_currency`) for a code that is not three capital letters.
 */
export function moneyFromDinero(value: CashlinkDinero): CashlinkMoney {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  ) {
    throw new CashlinkMoneyError(
      'unsupported_dinero',
      `Expected a dinero.js object, got ${describeRejected(value)}.`,
    );
  }
  const snapshot: unknown = toSnapshot(value);
  if (
    typeof snapshot !== 'object' ||
    snapshot === null ||
    typeof (snapshot as { currency?: unknown }).currency !== 'object' ||
    (snapshot as { currency?: unknown }).currency === null
  ) {
    throw new CashlinkMoneyError(
      'unsupported_dinero',
      'Expected a dinero.js object; its snapshot has no currency.',
    );
  }
  const { amount, scale, currency } = snapshot as ReturnType<typeof toSnapshot<unknown, string>>;
  if (typeof amount !== 'bigint' || typeof scale !== 'bigint') {
    throw new CashlinkMoneyError(
      'unsupported_dinero',
      'Expected a bigint dinero.js object (created with dinero.js/bigint); number amounts are not exact beyond 2^53.',
    );
  }
  if (scale < 0n || scale > BigInt(CASHLINK_MONEY_MAX_DECIMALS)) {
    throw new CashlinkMoneyError(
      'unsupported_dinero',
      `The dinero.js object has scale ${scale}; wire money needs 0..${CASHLINK_MONEY_MAX_DECIMALS}. ` +
        'Use transformScale() to bring it into range first.',
    );
  }
  if (currency.base !== 10n) {
    throw new CashlinkMoneyError(
      'unsupported_dinero',
      'The dinero.js currency is not base 10; Cashlink money is decimal.',
    );
  }
  assertCurrencyCode(currency.code, 'dinero.js currency code');
  return toWire(amount, Number(scale), currency.code, 'dinero.js amount');
}

/**
 * The exact decimal representation of wire money, with exactly `decimals` fraction digits:
 * `{ amount: "40000000", decimals: 3 }` → `"40000.000"`, `{ amount: "-1", decimals: 2 }` → `"-0.01"`.
 *
 * @throws {CashlinkMoneyError} when `wire` is malformed.
 */
export function moneyToDecimalString(wire: CashlinkMoney): string {
  const { amount, decimals } = parseWireMoney(wire);
  return decimalString(amount, decimals);
}

/**
 * Parses a plain decimal string (`-?digits(.digits)?`, no exponent, no grouping, no spaces) into wire money.
 *
 * @param value The decimal string, e.g. `"40000.000"` or `"-12.5"`.
 * @param currency ISO 4217 code of three capital letters.
 * @param decimals The wire `decimals` to produce. @default the number of fraction digits in `value`, so
 *   that `moneyFromDecimalString(moneyToDecimalString(w), w.currency)` returns `w`.
 * @throws {CashlinkMoneyError} for a malformed string, currency or `decimals`, and (`precision_loss`) when
 *   `value` has non-zero digits beyond `decimals`: money is never rounded silently.
 */
export function moneyFromDecimalString(value: string, currency: string, decimals?: number): CashlinkMoney {
  assertCurrencyCode(currency);
  if (decimals !== undefined) assertDecimals(decimals);
  const match =
    typeof value === 'string' && value.length <= MAX_DECIMAL_STRING_LENGTH
      ? DECIMAL_STRING_PATTERN.exec(value)
      : null;
  if (!match) {
    throw new CashlinkMoneyError(
      'invalid_decimal_string',
      `Invalid decimal string: expected digits with an optional leading minus and an optional fraction ` +
        `(e.g. "40000.000"), got ${describeRejected(value)}.`,
    );
  }
  const [, sign = '', whole = '', fraction = ''] = match;
  const target = decimals ?? fraction.length;
  if (target > CASHLINK_MONEY_MAX_DECIMALS) {
    throw new CashlinkMoneyError(
      'invalid_decimal_string',
      `Decimal string has ${fraction.length} fraction digits; wire money allows at most ${CASHLINK_MONEY_MAX_DECIMALS}.`,
    );
  }
  if (/[^0]/.test(fraction.slice(target))) {
    throw new CashlinkMoneyError(
      'precision_loss',
      `Decimal string has more than ${target} significant fraction digits; refusing to round money. ` +
        'Pass a larger `decimals` or round explicitly first.',
    );
  }
  const amount = BigInt(`${sign}${whole}${fraction.slice(0, target).padEnd(target, '0')}`);
  return toWire(amount, target, currency, 'decimal string');
}

/**
 * The sum of two values of the same currency, exact. The result has the larger of the two `decimals`.
 *
 * @throws {CashlinkMoneyError} for malformed input or (`currency_mismatch`) different currencies.
 */
export function addMoney(left: CashlinkMoney, right: CashlinkMoney): CashlinkMoney {
  const { a, b, decimals, currency } = normalise(left, right, 'add');
  return toWire(a + b, decimals, currency, 'sum');
}

/**
 * `left - right` for two values of the same currency, exact. The result has the larger of the two `decimals`.
 *
 * @throws {CashlinkMoneyError} for malformed input or (`currency_mismatch`) different currencies.
 */
export function subtractMoney(left: CashlinkMoney, right: CashlinkMoney): CashlinkMoney {
  const { a, b, decimals, currency } = normalise(left, right, 'subtract');
  return toWire(a - b, decimals, currency, 'difference');
}

/**
 * Compares two values of the same currency by value, whatever their `decimals`
 * (`{ "1000", 3 }` equals `{ "100", 2 }`).
 *
 * @throws {CashlinkMoneyError} for malformed input or (`currency_mismatch`) different currencies: comparing
 * EUR with USD is a bug in the caller, not a "not equal".
 */
export function compareMoney(left: CashlinkMoney, right: CashlinkMoney): CashlinkMoneyComparison {
  const { a, b } = normalise(left, right, 'compare');
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * True when two values of the same currency are equal in value, whatever their `decimals`.
 *
 * @throws {CashlinkMoneyError} for malformed input or (`currency_mismatch`) different currencies.
 */
export function moneyEquals(left: CashlinkMoney, right: CashlinkMoney): boolean {
  return compareMoney(left, right) === 0;
}

/** Formatters are costly to build; a bounded cache, since locales may come from request headers. */
const FORMATTER_CACHE_LIMIT = 256;
const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(locale: string | undefined, currency: string, decimals: number): Intl.NumberFormat {
  const key = `${locale ?? ''}|${currency}|${decimals}`;
  const cached = formatters.get(key);
  if (cached) return cached;
  let formatter: Intl.NumberFormat;
  try {
    formatter = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      // Show exactly the wire precision: EUR with 3 decimals prints 3, never rounded to the usual 2.
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
  } catch (cause) {
    throw new CashlinkMoneyError(
      'invalid_locale',
      `Invalid locale for formatting money: ${describeRejected(locale)}.`,
      {
        cause,
      },
    );
  }
  if (formatters.size >= FORMATTER_CACHE_LIMIT) {
    const oldest = formatters.keys().next();
    if (!oldest.done) formatters.delete(oldest.value);
  }
  formatters.set(key, formatter);
  return formatter;
}

/**
 * Formats wire money for display with `Intl.NumberFormat` (currency style, exactly `decimals` fraction
 * digits). The value is handed to `Intl` as a decimal string, which Node 20's ICU formats exactly, so no
 * digit is ever lost to a JS float: `{ "123456789012345678901", 3, "EUR" }` in `de-DE` →
 * `"123.456.789.012.345.678,901 €"`.
 *
 * @param locale A BCP 47 locale such as `"de-DE"`. @default the runtime's default locale.
 * @throws {CashlinkMoneyError} for malformed money or (`invalid_locale`) a locale `Intl` rejects.
 */
export function formatMoney(wire: CashlinkMoney, locale?: string): string {
  const { amount, decimals, currency } = parseWireMoney(wire);
  if (locale !== undefined && typeof locale !== 'string') {
    throw new CashlinkMoneyError(
      'invalid_locale',
      `Invalid locale for formatting money: ${describeRejected(locale)}.`,
    );
  }
  // Intl.NumberFormat.format accepts a decimal string and formats it exactly (ECMA-402 NumberFormat v3).
  return formatterFor(locale, currency, decimals).format(decimalString(amount, decimals) as `${number}`);
}
