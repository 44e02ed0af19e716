import { Injectable } from '@nestjs/common';

import {
  addMoney,
  CashlinkDinero,
  CashlinkMoneyComparison,
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

/**
 * Exact conversions for Cashlink money (`{ amount, decimals, currency }`), injectable for convenience.
 * Every method delegates to the plain function of the same purpose (`moneyToDinero`, `formatMoney`...),
 * which code outside Nest can import directly. Every method throws `CashlinkMoneyError` on malformed input
 * rather than return a wrong number.
 */
@Injectable()
export class CashlinkMoneyService {
  /** Wire money → dinero.js v2 bigint value (scale = `decimals`). See {@link moneyToDinero}. */
  toDinero(wire: CashlinkMoney): CashlinkDinero {
    return moneyToDinero(wire);
  }

  /** dinero.js v2 bigint value → wire money (`decimals` = scale). See {@link moneyFromDinero}. */
  fromDinero(value: CashlinkDinero): CashlinkMoney {
    return moneyFromDinero(value);
  }

  /**
   * Display string via `Intl.NumberFormat`, exact to the last digit. See {@link formatMoney}.
   * @param locale BCP 47 locale. @default the runtime's default locale.
   */
  format(wire: CashlinkMoney, locale?: string): string {
    return formatMoney(wire, locale);
  }

  /** Exact decimal string with `decimals` fraction digits (`"40000.000"`). See {@link moneyToDecimalString}. */
  toDecimalString(wire: CashlinkMoney): string {
    return moneyToDecimalString(wire);
  }

  /**
   * Decimal string → wire money, never rounding. See {@link moneyFromDecimalString}.
   * @param decimals @default the number of fraction digits in `value`.
   */
  fromDecimalString(value: string, currency: string, decimals?: number): CashlinkMoney {
    return moneyFromDecimalString(value, currency, decimals);
  }

  /** Exact sum of two same-currency values. See {@link addMoney}. */
  add(left: CashlinkMoney, right: CashlinkMoney): CashlinkMoney {
    return addMoney(left, right);
  }

  /** Exact `left - right` of two same-currency values. See {@link subtractMoney}. */
  subtract(left: CashlinkMoney, right: CashlinkMoney): CashlinkMoney {
    return subtractMoney(left, right);
  }

  /** Value equality of two same-currency values, whatever their `decimals`. See {@link moneyEquals}. */
  equals(left: CashlinkMoney, right: CashlinkMoney): boolean {
    return moneyEquals(left, right);
  }

  /** `-1`, `0` or `1` for two same-currency values. See {@link compareMoney}. */
  compare(left: CashlinkMoney, right: CashlinkMoney): CashlinkMoneyComparison {
    return compareMoney(left, right);
  }

  /** True when `value` is well-formed wire money; never throws. See {@link isWireMoney}. */
  isWireMoney(value: unknown): value is CashlinkMoney {
    return isWireMoney(value);
  }
}
