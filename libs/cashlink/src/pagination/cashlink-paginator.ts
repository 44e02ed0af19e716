import { Inject, Injectable } from '@nestjs/common';
import { CASHLINK_CLIENT_OPTIONS } from '../cashlink.constants';
import { CashlinkUnsafeUrlError } from '../errors/cashlink-client.error';
import { CashlinkHttpClient, type CashlinkQuery } from '../http/cashlink-http.client';
import type { ResolvedClientOptions } from '../options/client-options';
import type { CashlinkListQuery, CashlinkRequestOptions, Page } from './page';

/** A pagination link turned into a request relative to the API base. */
export interface PageLink {
  path: string;
  query: CashlinkQuery;
}

/**
 * Resolves a `next` / `previous` URL from Cashlink against the configured API. Only a URL with the
 * API's origin and a path under the API base is accepted: following any other would send the bearer
 * token to a host we were never told to trust. Relative links resolve against the API origin.
 */
export function resolvePageLink(
  link: string,
  options: Pick<ResolvedClientOptions, 'apiOrigin' | 'apiBasePath'>,
): PageLink {
  let url: URL;
  try {
    url = new URL(link, `${options.apiOrigin}/`);
  } catch {
    throw new CashlinkUnsafeUrlError('an unreadable URL', options.apiOrigin);
  }
  const base = `${options.apiBasePath}/`;
  if (url.origin !== options.apiOrigin || !url.pathname.startsWith(base) || url.username || url.password) {
    throw new CashlinkUnsafeUrlError(url.origin === 'null' ? url.protocol : url.origin, options.apiOrigin);
  }
  const query: CashlinkQuery = {};
  for (const name of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(name);
    query[name] = values.length === 1 ? values[0] : values;
  }
  return { path: url.pathname.slice(options.apiBasePath.length), query };
}

/** Fetches pages of list endpoints and iterates over every item. */
@Injectable()
export class CashlinkPaginator {
  constructor(
    @Inject(CASHLINK_CLIENT_OPTIONS) private readonly options: ResolvedClientOptions,
    private readonly http: CashlinkHttpClient,
  ) {}

  /** One page of `path`. */
  async list<T>(
    path: string,
    query: CashlinkListQuery = {},
    opts: CashlinkRequestOptions = {},
  ): Promise<Page<T>> {
    const response = await this.http.request<Page<T>>({ method: 'GET', path, query, ...opts });
    return response.data;
  }

  /** The page a `next` / `previous` link points to (refused unless it is under the configured API). */
  async follow<T>(link: string, opts: CashlinkRequestOptions = {}): Promise<Page<T>> {
    const { path, query } = resolvePageLink(link, this.options);
    const response = await this.http.request<Page<T>>({ method: 'GET', path, query, ...opts });
    return response.data;
  }

  /**
   * Every item from the first page on. Pages are fetched as the loop consumes them; breaking out of
   * the loop fetches nothing more.
   */
  async *all<T>(
    path: string,
    query: CashlinkListQuery = {},
    opts: CashlinkRequestOptions = {},
  ): AsyncGenerator<T> {
    let page = await this.list<T>(path, query, opts);
    for (;;) {
      yield* page.results;
      if (!page.next) return;
      page = await this.follow<T>(page.next, opts);
    }
  }
}
