import { CashlinkMoneyError } from './cashlink-money.error';
import {
  CASHLINK_MONEY_MAX_AMOUNT_DIGITS,
  CASHLINK_MONEY_MAX_DECIMALS,
  CashlinkMoney,
} from './cashlink-money.types';

/** A validated money value with its amount parsed to a bigint. Internal to the money feature. */
export interface ParsedMoney {
  readonly amount: bigint;
  readonly decimals: number;
  readonly currency: string;
}

const AMOUNT_PATTERN = /^-?[0-9]+$/;
const CURRENCY_PATTERN = /^[A-Z]{3}$/;
/** How much of a rejected string an error message may quote. */
const QUOTE_LIMIT = 24;

/**
 * Quotes a rejected value for an error message without echoing a large payload: strings are cut to a few
 * characters, anything else is described by its type only (it may be an object full of investor data).
 */
export function describeRejected(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > QUOTE_LIMIT
      ? `${JSON.stringify(value.slice(0, QUOTE_LIMIT))}… (${value.length} characters)`
      : JSON.stringify(value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a value of type ${typeof value}`;
}

/** True when `amount` is an integer string the library accepts (see {@link CashlinkMoney.amount}). */
export function isAmountString(amount: unknown): amount is string {
  return (
    typeof amount === 'string' &&
    amount.length <= CASHLINK_MONEY_MAX_AMOUNT_DIGITS + 1 &&
    AMOUNT_PATTERN.test(amount) &&
    amount.replace('-', '').length <= CASHLINK_MONEY_MAX_AMOUNT_DIGITS
  );
}

/** True when `decimals` is an integer in 0..18. */
export function isDecimals(decimals: unknown): decimals is number {
  return (
    typeof decimals === 'number' &&
    Number.isInteger(decimals) &&
    decimals >= 0 &&
    decimals <= CASHLINK_MONEY_MAX_DECIMALS
  );
}

/** True when `currency` has the ISO 4217 shape: three capital letters. */
export function isCurrencyCode(currency: unknown): currency is string {
  return typeof currency === 'string' && CURRENCY_PATTERN.test(currency);
}

/**
 * True when `value` is well-formed Cashlink wire money: an object whose `amount` is an integer string,
 * `decimals` an integer in 0..18 and `currency` three capital letters. Never throws.
 */
export function isWireMoney(value: unknown): value is CashlinkMoney {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    isAmountString(candidate.amount) && isDecimals(candidate.decimals) && isCurrencyCode(candidate.currency)
  );
}

/** Throws {@link CashlinkMoneyError} unless `decimals` is an integer in 0..18. */
export function assertDecimals(decimals: unknown, label = 'decimals'): asserts decimals is number {
  if (!isDecimals(decimals)) {
    throw new CashlinkMoneyError(
      'invalid_decimals',
      `Invalid money ${label}: expected an integer in 0..${CASHLINK_MONEY_MAX_DECIMALS}, got ${
        typeof decimals === 'number' ? String(decimals) : describeRejected(decimals)
      }.`,
    );
  }
}

/** Throws {@link CashlinkMoneyError} unless `currency` is three capital letters. */
export function assertCurrencyCode(currency: unknown, label = 'currency'): asserts currency is string {
  if (!isCurrencyCode(currency)) {
    throw new CashlinkMoneyError(
      'invalid_currency',
      `Invalid money ${label}: expected an ISO 4217 code of three capital letters (e.g. "EUR"), got ${describeRejected(currency)}.`,
    );
  }
}

/**
 * Validates wire money and parses its amount. Throws {@link CashlinkMoneyError} naming the first invalid
 * field; `label` says which argument it was (`"money"`, `"left operand"`...).
 */
export function parseWireMoney(value: unknown, label = 'money'): ParsedMoney {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CashlinkMoneyError(
      'not_money',
      `Invalid ${label}: expected { amount, decimals, currency }, got ${describeRejected(value)}.`,
    );
  }
  const { amount, decimals, currency } = value as Record<string, unknown>;
  if (!isAmountString(amount)) {
    throw new CashlinkMoneyError(
      'invalid_amount',
      `Invalid ${label} amount: expected an integer string of at most ${CASHLINK_MONEY_MAX_AMOUNT_DIGITS} digits ` +
        `with an optional leading minus (e.g. "40000000"), got ${describeRejected(amount)}.`,
    );
  }
  assertDecimals(decimals, `${label} decimals`);
  assertCurrencyCode(currency, `${label} currency`);
  return { amount: BigInt(amount), decimals, currency };
}

/** Throws {@link CashlinkMoneyError} unless `value` is well-formed wire money. */
export function assertWireMoney(value: unknown, label = 'money'): asserts value is CashlinkMoney {
  parseWireMoney(value, label);
}
