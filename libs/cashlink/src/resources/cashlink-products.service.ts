import { Injectable } from '@nestjs/common';
import { CashlinkHttpClient } from '../http/cashlink-http.client';
import { CashlinkPaginator } from '../pagination/cashlink-paginator';
import type { CashlinkListQuery, CashlinkRequestOptions, Page } from '../pagination/page';
import type { CashlinkProduct } from './cashlink-products.types';
import { idSegment } from './resource-path';

/** Products (`/v2/products/`), read-only. */
@Injectable()
export class CashlinkProductsService {
  constructor(
    private readonly http: CashlinkHttpClient,
    private readonly pages: CashlinkPaginator,
  ) {}

  /** One product (path `/v2/products/{id}/` assumed, DRF style). */
  async get(id: string, opts?: CashlinkRequestOptions): Promise<CashlinkProduct> {
    const response = await this.http.request<CashlinkProduct>({
      method: 'GET',
      path: `/v2/products/${idSegment(id, 'product id')}/`,
      ...opts,
    });
    return response.data;
  }

  /** One page of products, oldest first. */
  list(query?: CashlinkListQuery, opts?: CashlinkRequestOptions): Promise<Page<CashlinkProduct>> {
    return this.pages.list<CashlinkProduct>('/v2/products/', query, opts);
  }

  /** Every product; pages are fetched as the loop goes. */
  all(query?: CashlinkListQuery, opts?: CashlinkRequestOptions): AsyncGenerator<CashlinkProduct> {
    return this.pages.all<CashlinkProduct>('/v2/products/', query, opts);
  }
}
