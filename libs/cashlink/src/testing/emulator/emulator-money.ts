import type { EmulatorMoney } from './emulator.types';

// Money is computed on bigint: amounts may exceed 2^53 and must never pass through a float.

function toBig(money: EmulatorMoney): bigint {
  return BigInt(money.amount);
}

/** Zero in the given scale and currency. */
export function zeroMoney(decimals: number, currency: string): EmulatorMoney {
  return { amount: '0', decimals, currency };
}

/** `money × factor`, in the same scale. */
export function multiplyMoney(money: EmulatorMoney, factor: bigint): EmulatorMoney {
  return { amount: (toBig(money) * factor).toString(), decimals: money.decimals, currency: money.currency };
}

function assertSameUnit(a: EmulatorMoney, b: EmulatorMoney): void {
  if (a.decimals !== b.decimals || a.currency !== b.currency) {
    throw new Error(`Cannot combine ${a.currency}/${a.decimals} with ${b.currency}/${b.decimals}`);
  }
}

/** `a + b` (same currency and scale). */
export function addMoney(a: EmulatorMoney, b: EmulatorMoney): EmulatorMoney {
  assertSameUnit(a, b);
  return { amount: (toBig(a) + toBig(b)).toString(), decimals: a.decimals, currency: a.currency };
}

/** `a − b` (same currency and scale). */
export function subtractMoney(a: EmulatorMoney, b: EmulatorMoney): EmulatorMoney {
  assertSameUnit(a, b);
  return { amount: (toBig(a) - toBig(b)).toString(), decimals: a.decimals, currency: a.currency };
}

/** The money fields of a new investment of `units` at `pricePerToken`. */
export function investmentMoney(
  pricePerToken: EmulatorMoney,
  units: number,
): {
  investment_amount: EmulatorMoney;
  disagio: EmulatorMoney;
  accrued_interest: EmulatorMoney;
  payment_total: EmulatorMoney;
  remaining_amount: EmulatorMoney;
} {
  const investmentAmount = multiplyMoney(pricePerToken, BigInt(units));
  const zero = zeroMoney(pricePerToken.decimals, pricePerToken.currency);
  // Assumption: the emulator has no interest or discount model, both stay zero; the formula is
  // kept so that a seeded non-zero value would flow through correctly.
  const disagio = { ...zero };
  const accruedInterest = { ...zero };
  const paymentTotal = subtractMoney(addMoney(investmentAmount, accruedInterest), disagio);
  return {
    investment_amount: investmentAmount,
    disagio,
    accrued_interest: accruedInterest,
    payment_total: paymentTotal,
    remaining_amount: { ...paymentTotal },
  };
}
