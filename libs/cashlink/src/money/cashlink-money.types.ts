/**
 * Money as Cashlink sends and expects it: an exact integer `amount` in units of `10^-decimals`.
 *
 * `{ amount: "40000000", decimals: 3, currency: "EUR" }` is EUR 40,000.000. `decimals` may differ from the
 * currency's usual exponent (EUR with 3), amounts may exceed 2^53 and may be negative (corrections), so the
 * amount is a string and must never pass through a JS `number`.
 */
export interface CashlinkMoney {
  /** Integer string, optional leading minus: `"40000000"`, `"-125"`. */
  readonly amount: string;
  /** Number of decimal places of `amount`, an integer in 0..18. */
  readonly decimals: number;
  /** ISO 4217 code, three capital letters: `"EUR"`. */
  readonly currency: string;
}

/** The largest `decimals` the library accepts (Cashlink uses 2–3; 18 covers token-style precisions). */
export const CASHLINK_MONEY_MAX_DECIMALS = 18;

/**
 * The most digits an `amount` may have. 78 digits hold any unsigned 256-bit integer (the largest token
 * amounts on chain); the cap exists so that a hostile payload cannot make us parse megabyte-long numbers.
 */
export const CASHLINK_MONEY_MAX_AMOUNT_DIGITS = 78;
