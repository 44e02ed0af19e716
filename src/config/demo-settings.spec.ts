import { ConfigService } from '@nestjs/config';
import { readDemoSettings, scenarioEnabled } from './demo-settings';

const settings = (env: Record<string, string>) => readDemoSettings(new ConfigService(env));

describe('demo settings', () => {
  // ConfigService prefers process.env over the values given here: keep the developer's shell out.
  const saved = { ...process.env };
  beforeEach(() => {
    for (const name of Object.keys(process.env)) {
      if (/^(CASHLINK_|DEMO_|EMULATOR_PORT$|PORT$|HOST$|DATABASE_URL$)/.test(name)) delete process.env[name];
    }
  });
  afterAll(() => {
    process.env = saved;
  });

  it('runs the embedded emulator on SQLite under ./data when nothing is configured', () => {
    const s = settings({});
    expect(s.cashlink).toEqual({ mode: 'emulator', port: 0 });
    expect(s.port).toBe(3000);
    expect(s.host).toBe('127.0.0.1');
    expect(s.dataDir).toBe(`${process.cwd()}/data`);
    expect(s.databaseUrl).toBeUndefined();
    expect(s.webhookAuth).toEqual({ type: 'none' });
  });

  it('talks to a real Cashlink with a client id, and accepts rotating webhook tokens', () => {
    const s = settings({
      CASHLINK_ENVIRONMENT: 'demo',
      CASHLINK_CLIENT_ID: 'client',
      CASHLINK_CLIENT_SECRET: 'secret-value',
      CASHLINK_WEBHOOK_TOKENS: 'a'.repeat(40) + ', ' + 'b'.repeat(40),
      DATABASE_URL: 'postgres://db/demo',
    });
    expect(s.cashlink).toMatchObject({ mode: 'remote', environment: 'demo', clientId: 'client' });
    expect(s.webhookAuth).toEqual({ type: 'bearer', tokens: ['a'.repeat(40), 'b'.repeat(40)] });
    expect(s.databaseUrl).toBe('postgres://db/demo');
  });

  it('fails with every missing setting listed, and never the secret', () => {
    let message = '';
    try {
      settings({ CASHLINK_CLIENT_ID: 'client', PORT: 'abc', CASHLINK_WEBHOOK_CLIENT_ID: 'hook' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('PORT');
    expect(message).toContain('CASHLINK_ENVIRONMENT=demo, or both CASHLINK_BASE_URL and CASHLINK_TOKEN_URL');
    expect(message).toContain('CASHLINK_CLIENT_SECRET');
    expect(message).toContain('CASHLINK_WEBHOOK_CLIENT_SECRET');

    expect(() =>
      settings({
        CASHLINK_CLIENT_ID: 'c',
        CASHLINK_CLIENT_SECRET: 'top-secret-value',
        CASHLINK_ENVIRONMENT: 'staging',
      }),
    ).toThrow(expect.objectContaining({ message: expect.not.stringContaining('top-secret-value') }));
  });

  it('switches the scenario off with --no-scenario or DEMO_SCENARIO=false', () => {
    expect(scenarioEnabled([], {})).toBe(true);
    expect(scenarioEnabled(['--no-scenario'], {})).toBe(false);
    expect(scenarioEnabled([], { DEMO_SCENARIO: 'false' })).toBe(false);
    expect(scenarioEnabled([], { DEMO_SCENARIO: '0' })).toBe(false);
    expect(scenarioEnabled([], { DEMO_SCENARIO: 'true' })).toBe(true);
  });
});
