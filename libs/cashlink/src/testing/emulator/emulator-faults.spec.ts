import { EmulatorFaults } from './emulator-faults';

describe('EmulatorFaults', () => {
  it('fires for the next N matching requests, then is gone', () => {
    const faults = new EmulatorFaults();
    faults.inject({ route: 'post  /v2/investments/', kind: 'server_error', count: 2 });
    expect(faults.take('GET /v2/investments/')).toBeUndefined();
    expect(faults.take('POST /v2/investments/')).toMatchObject({ kind: 'server_error', status: 503 });
    expect(faults.take('POST /v2/investments/')).toMatchObject({ kind: 'server_error' });
    expect(faults.take('POST /v2/investments/')).toBeUndefined();
  });

  it('a fault without a route hits every API route but never the token endpoint', () => {
    const faults = new EmulatorFaults();
    faults.inject({ kind: 'rate_limit' });
    expect(faults.take('POST /oauth/token')).toBeUndefined();
    expect(faults.take('GET /v2/products/')).toMatchObject({
      kind: 'rate_limit',
      status: 429,
      retryAfterSeconds: 1,
    });
    faults.inject({ route: 'POST /oauth/token', kind: 'delay', delayMs: 5 });
    expect(faults.take('POST /oauth/token')).toMatchObject({ kind: 'delay', delayMs: 5 });
  });

  it('applies the first matching fault in the order of injection and clears by id', () => {
    const faults = new EmulatorFaults();
    const first = faults.inject({ kind: 'delay' });
    faults.inject({ kind: 'server_error' });
    expect(faults.take('GET /v2/products/')?.kind).toBe('delay');
    faults.clear(first);
    expect(faults.take('GET /v2/products/')?.kind).toBe('server_error');
    faults.clear();
    expect(faults.take('GET /v2/products/')).toBeUndefined();
  });

  it('does not count down a fault whose probability did not fire', () => {
    const faults = new EmulatorFaults();
    faults.inject({ kind: 'server_error', probability: 0, count: 1 });
    for (let i = 0; i < 100; i += 1) expect(faults.take('GET /v2/products/')).toBeUndefined();
  });
});
