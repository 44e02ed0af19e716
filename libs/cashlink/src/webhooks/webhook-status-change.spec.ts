import fc from 'fast-check';
import {
  changedAtToIso,
  normaliseChangedAt,
  parseStatusChange,
  statusChangeDedupeKey,
} from './webhook-status-change';

describe('webhook status change', () => {
  it('normalises equal instants to equal, fixed-width UTC strings', () => {
    expect(normaliseChangedAt('2020-08-10T14:06:22.134Z')).toBe('2020-08-10T14:06:22.134000000Z');
    expect(normaliseChangedAt('2020-08-10T16:06:22.134+02:00')).toBe('2020-08-10T14:06:22.134000000Z');
    expect(normaliseChangedAt('2020-08-10T14:06:22.134567Z')).toBe('2020-08-10T14:06:22.134567000Z');
    expect(normaliseChangedAt('2020-08-10T14:06:22Z')).toBe('2020-08-10T14:06:22.000000000Z');
    expect(normaliseChangedAt('2020-08-10T14:06:22-0130')).toBe('2020-08-10T15:36:22.000000000Z');
  });

  it('refuses timestamps without a zone or with impossible fields', () => {
    for (const bad of [
      '2020-08-10T14:06:22',
      '2020-02-30T10:00:00Z',
      '2020-08-10 14:06:22Z',
      'yesterday',
      '2020-08-10T24:00:00Z',
    ]) {
      expect(normaliseChangedAt(bad)).toBeNull();
    }
  });

  it('keeps time order as string order (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }),
        (a, b) => {
          const na = normaliseChangedAt(a.toISOString())!;
          const nb = normaliseChangedAt(b.toISOString())!;
          expect(Math.sign(na.localeCompare(nb))).toBe(Math.sign(a.getTime() - b.getTime()));
          expect(new Date(changedAtToIso(na)).getTime()).toBe(a.getTime());
        },
      ),
    );
  });

  it('accepts a valid change, unknown statuses and extra fields', () => {
    const parsed = parseStatusChange({
      investment_id: '1f0c0c8e-4b7a-4d8e-9a53-2f1c7a3b9e01',
      status: 'SOMETHING_NEW',
      changed_at: '2026-01-01T00:00:00Z',
      extra: true,
    });
    expect(parsed).toEqual({
      ok: true,
      change: {
        investmentId: '1f0c0c8e-4b7a-4d8e-9a53-2f1c7a3b9e01',
        status: 'SOMETHING_NEW',
        changedAt: '2026-01-01T00:00:00.000000000Z',
      },
    });
  });

  it('explains an invalid change without quoting its values', () => {
    const cases: unknown[] = [
      null,
      [],
      'text',
      { status: 'ACCEPTED', changed_at: '2026-01-01T00:00:00Z' },
      { investment_id: 'max.mustermann@example.com', status: 'ACCEPTED', changed_at: '2026-01-01T00:00:00Z' },
      { investment_id: 'abc', status: 'accepted', changed_at: '2026-01-01T00:00:00Z' },
      { investment_id: 'abc', status: 'ACCEPTED', changed_at: 1700000000 },
    ];
    for (const body of cases) {
      const parsed = parseStatusChange(body);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).not.toMatch(/mustermann|accepted\b|1700000000/);
    }
  });

  it('derives the same dedupe key for the same change only', () => {
    const a = {
      investmentId: 'i',
      status: 'PAID',
      changedAt: normaliseChangedAt('2026-01-01T01:00:00+01:00')!,
    };
    const b = {
      investmentId: 'i',
      status: 'PAID',
      changedAt: normaliseChangedAt('2026-01-01T00:00:00.000Z')!,
    };
    expect(statusChangeDedupeKey(a)).toBe(statusChangeDedupeKey(b));
    expect(statusChangeDedupeKey(a)).not.toBe(statusChangeDedupeKey({ ...b, status: 'ACCEPTED' }));
    expect(statusChangeDedupeKey(a)).toMatch(/^[0-9a-f]{64}$/);
  });
});
