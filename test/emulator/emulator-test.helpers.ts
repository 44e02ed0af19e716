// Plain-HTTP helpers for the emulator's own e2e suite. Deliberately not the library's client: the
// emulator is tested on its own so that the client can later be tested against it.
import {
  exampleIdentificationInput,
  exampleInvestorInput,
  type CashlinkEmulator,
} from 'nestjs-cashlink/testing';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** Gets a token with the given scopes (all of the client's when omitted). */
export async function getToken(emu: CashlinkEmulator, scope?: string): Promise<string> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: emu.clientId,
    client_secret: emu.clientSecret,
  });
  if (scope !== undefined) form.set('scope', scope);
  const response = await fetch(emu.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  if (response.status !== 200) throw new Error(`token request answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function readAnswer<T>(response: Response): Promise<ApiAnswer<T>> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: body as T, headers: response.headers };
}

/** A JSON call against the API base. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
export async function api<T = any>(
  emu: CashlinkEmulator,
  token: string | undefined,
  method: string,
  path: string,
  options: {
    json?: unknown;
    idempotencyKey?: string;
    headers?: Record<string, string>;
    rawBody?: string;
  } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  if (options.idempotencyKey !== undefined) headers['X-Idempotency-Key'] = options.idempotencyKey;
  let body: string | undefined = options.rawBody;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['Content-Type'] ??= 'application/json';
  }
  const url = path.startsWith('http') ? path : `${emu.baseUrl}${path}`;
  return readAnswer<T>(await fetch(url, { method, headers, body }));
}

/** Uploads `content` as the multipart field `file`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
export async function upload<T = any>(
  emu: CashlinkEmulator,
  token: string,
  content: Buffer,
  options: { filename?: string; contentType?: string; idempotencyKey?: string; field?: string } = {},
): Promise<ApiAnswer<T>> {
  const form = new FormData();
  form.append(
    options.field ?? 'file',
    new Blob([new Uint8Array(content)], { type: options.contentType ?? 'application/pdf' }),
    options.filename ?? 'contract.pdf',
  );
  const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
  if (options.idempotencyKey !== undefined) headers['X-Idempotency-Key'] = options.idempotencyKey;
  return readAnswer<T>(await fetch(`${emu.baseUrl}/v2/documents/`, { method: 'POST', headers, body: form }));
}

/** Creates an investor (from the example body, changed by `patch`) and returns its id. */
export async function createInvestor(
  emu: CashlinkEmulator,
  token: string,
  patch: Record<string, unknown> = {},
): Promise<string> {
  const answer = await api<{ id: string }>(emu, token, 'POST', '/v2/investors/', {
    json: { ...exampleInvestorInput(), ...patch },
  });
  if (answer.status !== 201) throw new Error(`investor create answered ${answer.status}`);
  return answer.body.id;
}

/** Creates an investor with a successful identification. */
export async function createIdentifiedInvestor(emu: CashlinkEmulator, token: string): Promise<string> {
  const id = await createInvestor(emu, token);
  const answer = await api(emu, token, 'POST', `/v2/investors/${id}/identifications/`, {
    json: exampleIdentificationInput(),
  });
  if (answer.status !== 201) throw new Error(`identification answered ${answer.status}`);
  return id;
}

/** A raw HTTP request that reports a destroyed connection instead of throwing. */
export async function fetchOrDropped(
  url: string,
  init: RequestInit,
): Promise<{ dropped: true } | { dropped: false; status: number; body: unknown }> {
  try {
    const response = await fetch(url, init);
    const text = await response.text();
    return { dropped: false, status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  } catch (error) {
    // undici reports a broken connection as TypeError('fetch failed'); compare by name because
    // Jest's sandbox has its own TypeError class.
    if ((error as Error).name === 'TypeError') return { dropped: true };
    throw error;
  }
}
