import {
  CashlinkApiError,
  CashlinkAuthenticationError,
  CashlinkConflictError,
  CashlinkNotFoundError,
  CashlinkRateLimitError,
  CashlinkServerError,
  CashlinkValidationError,
} from '../errors/cashlink-api.error';
import { CashlinkAbortedError, CashlinkDocumentTooLargeError } from '../errors/cashlink-client.error';
import { CashlinkNetworkError, CashlinkTimeoutError } from '../errors/cashlink.error';
import type { CashlinkIntent } from './cashlink-intent.entity';
import { CashlinkIntentFailedError } from './cashlink-intent.error';
import { errorRecord, isDefinitiveFailure, rebuildError } from './cashlink-intent.runner';

const details = (status: number, body: unknown = { detail: 'x' }) => ({
  status,
  body,
  method: 'POST',
  path: '/v2/investments/',
  requestId: 'req-1',
});

describe('settlement rules', () => {
  it.each([
    ['400 validation', new CashlinkValidationError('bad', details(400), { units: ['no'] }), true],
    ['404', new CashlinkNotFoundError('nf', details(404)), true],
    ['422 (other 4xx)', new CashlinkApiError('unprocessable', details(422)), true],
    ['409 in progress', new CashlinkConflictError('busy', details(409)), false],
    ['429', new CashlinkRateLimitError('slow', details(429), 1000), false],
    ['503', new CashlinkServerError('down', details(503)), false],
    ['401 (credentials; Cashlink did nothing)', new CashlinkAuthenticationError('auth', details(401)), false],
    ['408', new CashlinkApiError('timeout', details(408)), false],
    ['network', new CashlinkNetworkError('reset', 'POST', '/v2/investments/'), false],
    ['timeout', new CashlinkTimeoutError('slow', 'POST', '/v2/investments/'), false],
    ['aborted by the caller', new CashlinkAbortedError('POST', '/v2/investments/'), false],
    ['document too large (local, before sending)', new CashlinkDocumentTooLargeError(1, 2), true],
    ['an unknown error', new TypeError('bug'), false],
  ])('%s → definitive: %s', (_name, error, definitive) => {
    expect(isDefinitiveFailure(error)).toBe(definitive);
  });
});

describe('stored errors', () => {
  const intent = (lastError: unknown): CashlinkIntent =>
    ({
      key: 'k',
      method: 'POST',
      path: '/v2/investments/',
      lastError: JSON.stringify(lastError),
    }) as CashlinkIntent;

  it('rebuild a validation error with the same class, message, status and field errors', () => {
    const original = new CashlinkValidationError(
      'Cashlink rejected it',
      details(400, { units: ['too many'] }),
      { units: ['too many'] },
    );
    const rebuilt = rebuildError(intent(errorRecord(original)));
    expect(rebuilt).toBeInstanceOf(CashlinkValidationError);
    expect(rebuilt).toMatchObject({
      message: original.message,
      status: 400,
      fieldErrors: { units: ['too many'] },
      requestId: 'req-1',
      idempotencyKey: 'k',
    });
  });

  it('rebuild a 404 as CashlinkNotFoundError', () => {
    const rebuilt = rebuildError(intent(errorRecord(new CashlinkNotFoundError('gone', details(404)))));
    expect(rebuilt).toBeInstanceOf(CashlinkNotFoundError);
    expect(rebuilt.message).toBe('gone');
  });

  it('a local error comes back as CashlinkIntentFailedError naming the original class', () => {
    const rebuilt = rebuildError(intent(errorRecord(new CashlinkDocumentTooLargeError(1, 2))));
    expect(rebuilt).toBeInstanceOf(CashlinkIntentFailedError);
    expect(rebuilt).toMatchObject({ originalName: 'CashlinkDocumentTooLargeError' });
  });

  it('the record keeps no headers or tokens: only class, message, status, body, request id', () => {
    const error = new CashlinkServerError('down', details(503, 'oops'));
    expect(Object.keys(errorRecord(error)).sort()).toEqual([
      'body',
      'className',
      'message',
      'requestId',
      'status',
    ]);
  });
});
