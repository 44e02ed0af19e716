import fc from 'fast-check';
import { addMoney, investmentMoney, multiplyMoney, subtractMoney } from './emulator-money';

describe('emulator money', () => {
  const eur = (amount: string, decimals = 3) => ({ amount, decimals, currency: 'EUR' });

  it('computes the investment fields from units × price', () => {
    expect(investmentMoney(eur('100000'), 7)).toEqual({
      investment_amount: eur('700000'),
      disagio: eur('0'),
      accrued_interest: eur('0'),
      payment_total: eur('700000'),
      remaining_amount: eur('700000'),
    });
  });

  it('stays exact far beyond 2^53 (checked against decimal long multiplication)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        (price, units) => {
          const result = multiplyMoney(eur(price.toString(), 18), BigInt(units)).amount;
          // Schoolbook multiplication on digit strings: independent of bigint.
          const digits = price.toString().split('').reverse().map(Number);
          const product: number[] = [];
          let carry = 0;
          for (let i = 0; i < digits.length || carry > 0; i += 1) {
            const value = (digits[i] ?? 0) * units + carry;
            product.push(value % 10);
            carry = Math.floor(value / 10);
          }
          const expected = product
            .reverse()
            .join('')
            .replace(/^0+(?=\d)/, '');
          expect(result).toBe(expected);
        },
      ),
    );
  });

  it('adds and subtracts, also into negative amounts (corrections)', () => {
    expect(addMoney(eur('5'), eur('7'))).toEqual(eur('12'));
    expect(subtractMoney(eur('5'), eur('7'))).toEqual(eur('-2'));
  });

  it('refuses to combine different scales or currencies', () => {
    expect(() => addMoney(eur('1', 2), eur('1', 3))).toThrow(/Cannot combine/);
    expect(() => addMoney(eur('1'), { amount: '1', decimals: 3, currency: 'USD' })).toThrow(/Cannot combine/);
  });
});
