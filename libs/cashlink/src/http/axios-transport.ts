import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import {
  CashlinkTransport,
  type TransportRequest,
  type TransportResponse,
  TransportFailure,
} from './cashlink-transport';

/** `CashlinkTransport` on the module's own axios instance (`HttpModule.register`). */
@Injectable()
export class AxiosCashlinkTransport extends CashlinkTransport {
  constructor(private readonly http: HttpService) {
    super();
  }

  override async send(request: TransportRequest): Promise<TransportResponse> {
    try {
      const response = await this.http.axiosRef.request<string>({
        url: request.url,
        method: request.method,
        headers: request.headers,
        data: request.body,
        signal: request.signal,
        validateStatus: () => true,
        responseType: 'text',
        transformResponse: [(body: unknown) => body],
        maxRedirects: 0,
        maxBodyLength: Infinity,
        ...(request.maxResponseBytes !== undefined ? { maxContentLength: request.maxResponseBytes } : {}),
      });
      return {
        status: response.status,
        headers: normaliseHeaders(response.headers as Record<string, unknown>),
        text: typeof response.data === 'string' ? response.data : '',
      };
    } catch (error) {
      // Only the code leaves: an axios error holds the request headers (bearer token) and body (secret).
      throw new TransportFailure((error as { code?: string }).code ?? 'unknown');
    }
  }
}

/** Axios headers as a plain object with lower-case names and string values. */
function normaliseHeaders(headers: Record<string, unknown>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}
