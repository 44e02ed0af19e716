import { logKey } from '../common/log-key';
import { redactHeaders } from './redact-headers';

describe('redactHeaders', () => {
  it('replaces credentials, whatever the case of the name, hashes the idempotency key, and keeps the rest', () => {
    expect(
      redactHeaders({
        Authorization: 'Bearer abc',
        'proxy-authorization': 'Basic x',
        Cookie: 'a=b',
        'X-Idempotency-Key': 'k-1',
        Accept: 'application/json',
      }),
    ).toEqual({
      Authorization: '[redacted]',
      'proxy-authorization': '[redacted]',
      Cookie: '[redacted]',
      'X-Idempotency-Key': logKey('k-1'),
      Accept: 'application/json',
    });
  });
});
