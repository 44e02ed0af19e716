import { logKey } from './log-key';

describe('logKey', () => {
  it('shows a short stable hash, never the key', () => {
    expect(logKey('erika@example.com')).toMatch(/^key#[0-9a-f]{12}$/);
    expect(logKey('erika@example.com')).toBe(logKey('erika@example.com'));
    expect(logKey('erika@example.com')).not.toContain('erika');
    expect(logKey('a')).not.toBe(logKey('b'));
  });
});
