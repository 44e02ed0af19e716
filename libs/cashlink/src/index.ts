// nestjs-cashlink: the one curated public entry. Export only what users may rely on.
export const CASHLINK_LIBRARY_NAME = 'nestjs-cashlink';

// Money (exact wire money <-> dinero.js bigint)
export { CashlinkMoneyService } from './money/cashlink-money.service';
export { CashlinkMoneyError, type CashlinkMoneyErrorCode } from './money/cashlink-money.error';
export {
  type CashlinkMoney,
  CASHLINK_MONEY_MAX_AMOUNT_DIGITS,
  CASHLINK_MONEY_MAX_DECIMALS,
} from './money/cashlink-money.types';
export {
  addMoney,
  type CashlinkDinero,
  type CashlinkMoneyComparison,
  compareMoney,
  formatMoney,
  moneyEquals,
  moneyFromDecimalString,
  moneyFromDinero,
  moneyToDecimalString,
  moneyToDinero,
  subtractMoney,
} from './money/cashlink-money.functions';
export { assertWireMoney, isWireMoney } from './money/cashlink-money.validation';
