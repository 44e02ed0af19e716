import { CashlinkError } from '../errors/cashlink.error';

/**
 * Why a money value was rejected.
 *
 * - `invalid_amount`: `amount` is not an integer string (digits with an optional leading minus), or has
 *   more digits than the library accepts.
 * - `invalid_decimals`: `decimals` is not an integer in 0..18.
 * - `invalid_currency`: `currency` is not three capital letters (ISO 4217 shape).
 * - `not_money`: the value is not an object with `amount`, `decimals` and `currency`.
 * - `currency_mismatch`: an operation mixed two currencies.
 * - `invalid_decimal_string`: a decimal string is not `-?digits(.digits)?`.
 * - `precision_loss`: a decimal string has more significant fraction digits than the requested `decimals`
 *   (the library never rounds money silently).
 * - `invalid_locale`: `Intl.NumberFormat` rejected the locale passed to `format`.
 * - `unsupported_dinero`: a dinero.js object that cannot be wire money (not bigint, not base 10, scale
 *   outside 0..18).
 */
export type CashlinkMoneyErrorCode =
  | 'invalid_amount'
  | 'invalid_decimals'
  | 'invalid_currency'
  | 'not_money'
  | 'currency_mismatch'
  | 'invalid_decimal_string'
  | 'precision_loss'
  | 'invalid_locale'
  | 'unsupported_dinero';

/**
 * A money value or operation was rejected: malformed wire money, mixed currencies, a decimal string that
 * cannot be represented exactly. The library throws this instead of ever returning a wrong number.
 *
 * The message names the field and the rule; it quotes at most a short, truncated piece of the offending
 * value (an amount or currency string), never the surrounding object, which may carry investor data.
 */
export class CashlinkMoneyError extends CashlinkError {
  constructor(
    /** Machine-readable reason; see {@link CashlinkMoneyErrorCode}. */
    readonly code: CashlinkMoneyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
