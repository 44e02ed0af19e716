import { hostname } from 'node:os';
import { createInstanceId, INSTANCE_ID_MAX_LENGTH } from './instance-id';

describe('createInstanceId', () => {
  it('is <hostname>:<pid>:<random>, different per call', () => {
    const id = createInstanceId();
    expect(id).toMatch(new RegExp(`:${process.pid}:[0-9a-f]{8}$`));
    expect(id.startsWith(hostname().slice(0, 10))).toBe(true);
    expect(createInstanceId()).not.toBe(id);
  });

  it('truncates the hostname so the id fits the bound, leaving room for a per-claim suffix', () => {
    expect(createInstanceId().length).toBeLessThanOrEqual(INSTANCE_ID_MAX_LENGTH);
    const short = createInstanceId(30);
    expect(short.length).toBeLessThanOrEqual(30);
    expect(short).toMatch(new RegExp(`:${process.pid}:[0-9a-f]{8}$`));
    expect(INSTANCE_ID_MAX_LENGTH + ':'.length + 36).toBeLessThanOrEqual(255);
  });

  it('refuses a bound with no room for the hostname', () => {
    expect(() => createInstanceId(5)).toThrow(RangeError);
  });
});
