import { Test } from '@nestjs/testing';
import { toSnapshot } from 'dinero.js/bigint';

import { CashlinkMoneyError } from './cashlink-money.error';
import { CashlinkMoneyService } from './cashlink-money.service';

describe('CashlinkMoneyService', () => {
  let money: CashlinkMoneyService;

  beforeAll(async () => {
    // Resolved through Nest's injector: proves the service needs no constructor dependencies.
    const moduleRef = await Test.createTestingModule({ providers: [CashlinkMoneyService] }).compile();
    money = moduleRef.get(CashlinkMoneyService);
  });

  const price = { amount: '100000', decimals: 3, currency: 'EUR' };

  it('converts to and from dinero.js exactly', () => {
    const huge = { amount: '-123456789012345678901234567890', decimals: 3, currency: 'EUR' };
    const d = money.toDinero(huge);
    expect(toSnapshot(d).amount).toBe(-123456789012345678901234567890n);
    expect(money.fromDinero(d)).toEqual(huge);
  });

  it('formats and converts decimal strings', () => {
    expect(money.format(price, 'de-DE')).toBe('100,000\u00a0€');
    expect(money.format({ amount: '40000000', decimals: 3, currency: 'EUR' }, 'en-GB')).toBe('€40,000.000');
    expect(money.toDecimalString(price)).toBe('100.000');
    expect(money.fromDecimalString('100.000', 'EUR')).toEqual(price);
    expect(money.fromDecimalString('100', 'EUR', 3)).toEqual(price);
  });

  it('adds, subtracts, compares and checks equality across scales', () => {
    const cent = { amount: '1', decimals: 2, currency: 'EUR' };
    expect(money.add(price, cent)).toEqual({ amount: '100010', decimals: 3, currency: 'EUR' });
    expect(money.subtract(cent, price)).toEqual({ amount: '-99990', decimals: 3, currency: 'EUR' });
    expect(money.compare(price, cent)).toBe(1);
    expect(money.compare(cent, price)).toBe(-1);
    expect(money.equals(price, { amount: '10000', decimals: 2, currency: 'EUR' })).toBe(true);
  });

  it('checks wire money and throws CashlinkMoneyError on malformed input', () => {
    expect(money.isWireMoney(price)).toBe(true);
    expect(money.isWireMoney({ ...price, amount: 100 })).toBe(false);
    expect(() => money.toDinero({ ...price, decimals: 19 })).toThrow(CashlinkMoneyError);
    expect(() => money.add(price, { ...price, currency: 'USD' })).toThrow(CashlinkMoneyError);
  });
});
