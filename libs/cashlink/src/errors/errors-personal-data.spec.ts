import { inspect } from 'node:util';
import fc from 'fast-check';
import { Logger } from '@nestjs/common';
import { errorRecord, rebuildError } from '../idempotency/cashlink-intent.runner';
import type { CashlinkIntent } from '../idempotency/cashlink-intent.entity';
import { CashlinkAuthenticationError } from './cashlink-api.error';
import { createCashlinkApiError } from './create-cashlink-api-error';

/** A value that stands for investor data: recognisable anywhere it leaks. */
const personal = fc
  .tuple(fc.constantFrom('Erika', 'Max', 'Jörg'), fc.stringMatching(/^[a-z0-9]{4,10}$/))
  .map(([name, tail]) => `PD${name}${tail}@example.com`);
const fieldName = fc.constantFrom('forename', 'surname', 'email', 'iban', 'birth_date', 'street', 'units');
/** DRF field errors whose messages quote the submitted values, nested as Cashlink nests them. */
const fieldErrors: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
  node: fc.dictionary(
    fieldName,
    fc.oneof(
      { depthSize: 'small' },
      fc.array(
        personal.map((v) => `${v} is not valid.`),
        { minLength: 1, maxLength: 3 },
      ),
      personal.map((v) => `Value ${v} is taken.`),
      tie('node'),
      fc.array(tie('node'), { maxLength: 2 }),
    ),
    { minKeys: 1, maxKeys: 4 },
  ),
})).node as fc.Arbitrary<Record<string, unknown>>;
const body = fc.oneof(
  fieldErrors,
  personal.map((v) => ({ detail: `No investor ${v} found.` })),
  fc.array(
    personal.map((v) => `Investor ${v} is subject to US tax.`),
    { minLength: 1 },
  ),
  personal.map((v) => `<html>${v}</html>`),
);
const status = fc.constantFrom(400, 401, 403, 404, 409, 413, 418, 422, 429, 500, 502, 503);

function leaks(text: string): string[] {
  return text.match(/PD[A-Za-zö]+[a-z0-9]+@example\.com/g) ?? [];
}

/** Everything a log line or a serialiser shows of an error. */
function shown(error: Error): string {
  const logged: string[] = [];
  const logger = new Logger('test');
  const original = process.stdout.write.bind(process.stdout);
  const capture = (chunk: string | Uint8Array): boolean => {
    logged.push(String(chunk));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    logger.error(error);
    logger.warn(error);
  } finally {
    process.stdout.write = original;
    process.stderr.write = original;
  }
  return [
    JSON.stringify(error),
    inspect(error, { depth: 20 }),
    String(error),
    error.message,
    error.stack ?? '',
    ...logged,
  ].join('\n');
}

describe('errors built from answers that echo personal data', () => {
  it('never show it in JSON.stringify, util.inspect, the message or a Nest log line; the accessors still give it', () => {
    fc.assert(
      fc.property(status, body, (code, answerBody) => {
        const error = createCashlinkApiError({
          status: code,
          bodyText: typeof answerBody === 'string' ? answerBody : JSON.stringify(answerBody),
          headers: { 'x-request-id': 'req-1' },
          method: 'POST',
          path: '/v2/investors/',
          idempotencyKey: 'k-1',
        });
        expect(leaks(shown(error))).toEqual([]);
        // Wrapped (as the token client does) and rebuilt from a stored record (as a repeat of a key does).
        const wrapped = new CashlinkAuthenticationError(
          'token refused',
          { status: code, body: error.body, method: 'POST', path: '/oauth/token' },
          { cause: error },
        );
        expect(leaks(shown(wrapped))).toEqual([]);
        const rebuilt = rebuildError({
          key: 'k-1',
          method: 'POST',
          path: '/v2/investors/',
          lastError: JSON.stringify(errorRecord(error)),
        } as CashlinkIntent);
        expect(leaks(shown(rebuilt))).toEqual([]);
        // Reachable on purpose.
        expect(error.body).toEqual(answerBody);
      }),
      { numRuns: 300 },
    );
  });
});
