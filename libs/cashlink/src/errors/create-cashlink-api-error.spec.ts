import {
  CashlinkApiError,
  CashlinkAuthenticationError,
  CashlinkConflictError,
  CashlinkNotFoundError,
  CashlinkPayloadTooLargeError,
  CashlinkPermissionError,
  CashlinkRateLimitError,
  CashlinkServerError,
  CashlinkValidationError,
} from './cashlink-api.error';
import { CashlinkError } from './cashlink.error';
import {
  type CashlinkErrorAnswer,
  createCashlinkApiError,
  flattenFieldNames,
  parseFieldErrors,
  parseRetryAfter,
} from './create-cashlink-api-error';

function answer(status: number, body: unknown, headers: Record<string, string> = {}): CashlinkErrorAnswer {
  return {
    status,
    bodyText: typeof body === 'string' ? body : JSON.stringify(body),
    headers,
    method: 'POST',
    path: '/v2/investors/',
    idempotencyKey: 'key-1',
  };
}

describe('createCashlinkApiError', () => {
  it.each([
    [400, CashlinkValidationError],
    [401, CashlinkAuthenticationError],
    [403, CashlinkPermissionError],
    [404, CashlinkNotFoundError],
    [409, CashlinkConflictError],
    [413, CashlinkPayloadTooLargeError],
    [429, CashlinkRateLimitError],
    [500, CashlinkServerError],
    [502, CashlinkServerError],
    [503, CashlinkServerError],
  ])('maps %i to %p', (status, cls) => {
    const error = createCashlinkApiError(answer(status, { detail: 'x' }, { 'x-request-id': 'req-9' }));
    expect(error).toBeInstanceOf(cls);
    expect(error).toBeInstanceOf(CashlinkApiError);
    expect(error).toBeInstanceOf(CashlinkError);
    expect(error.name).toBe(cls.name);
    expect(error.status).toBe(status);
    expect(error.requestId).toBe('req-9');
    expect(error.method).toBe('POST');
    expect(error.path).toBe('/v2/investors/');
    expect(error.idempotencyKey).toBe('key-1');
    expect(error.message).toContain('request id req-9');
  });

  it('maps other statuses to the base class', () => {
    const error = createCashlinkApiError(answer(418, { detail: "I'm a teapot" }));
    expect(error.constructor).toBe(CashlinkApiError);
    // Cashlink's free text stays out of the message (a detail can name a person); it is in body.
    expect(error.message).not.toContain('teapot');
    expect(error.body).toEqual({ detail: "I'm a teapot" });
  });

  it('parses nested DRF field errors and names the fields, not the messages', () => {
    const body = {
      natural_person: {
        birth_date: ['Date has wrong format. Use YYYY-MM-DD.'],
        email: ['max@example.com is taken'],
      },
      units: ['Ensure this value is greater than or equal to 1.'],
      non_field_errors: ['Investor is subject to US tax.'],
    };
    const error = createCashlinkApiError(answer(400, body)) as CashlinkValidationError;
    expect(error.fieldErrors).toEqual(body);
    expect(error.body).toEqual(body);
    expect(error.message).toContain(
      'natural_person.birth_date, natural_person.email, units, non_field_errors',
    );
    // Field messages can echo submitted values (investor data): never in the message.
    expect(error.message).not.toContain('max@example.com');
  });

  it('turns list fields with per-item errors into index-keyed objects', () => {
    expect(parseFieldErrors({ signed_documents: [{}, { id: ['Unknown document.'] }] })).toEqual({
      signed_documents: { '1': { id: ['Unknown document.'] } },
    });
    expect(flattenFieldNames({ signed_documents: { '1': { id: ['x'] } } })).toEqual([
      'signed_documents.1.id',
    ]);
  });

  it('reads a bare list and a lone string as field errors', () => {
    expect(parseFieldErrors(['Something is wrong.'])).toEqual({ non_field_errors: ['Something is wrong.'] });
    expect(parseFieldErrors({ units: 'must be positive' })).toEqual({ units: ['must be positive'] });
  });

  it('keeps a non-JSON body as text and keeps it out of the message', () => {
    const error = createCashlinkApiError(answer(502, '<html>Bad gateway secret-ish</html>'));
    expect(error).toBeInstanceOf(CashlinkServerError);
    expect(error.body).toBe('<html>Bad gateway secret-ish</html>');
    expect(error.message).not.toContain('html');
  });

  it('handles a 400 without JSON', () => {
    const error = createCashlinkApiError(answer(400, 'oops')) as CashlinkValidationError;
    expect(error.fieldErrors).toEqual({});
    expect(error.message).toContain('no field named');
  });

  it('reads Retry-After in seconds and as an HTTP date', () => {
    const error = createCashlinkApiError(answer(429, '', { 'retry-after': '2' })) as CashlinkRateLimitError;
    expect(error.retryAfterMs).toBe(2000);
    expect(error.message).toContain('wait 2 s');
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect((createCashlinkApiError(answer(429, '')) as CashlinkRateLimitError).retryAfterMs).toBeUndefined();
  });

  it('keeps a 404 detail out of the message and appends a note', () => {
    const error = createCashlinkApiError({
      ...answer(404, { detail: 'x'.repeat(500) }),
      note: 'Not retried.',
    });
    expect(error.message).not.toContain('xxx');
    expect(error.message.endsWith('Not retried.')).toBe(true);
  });
});
