import { Injectable } from '@nestjs/common';
import { CashlinkHttpClient } from '../http/cashlink-http.client';
import { CashlinkWriteExecutor, type CashlinkWriteOptions } from '../http/cashlink-write-executor';
import { CashlinkPaginator } from '../pagination/cashlink-paginator';
import type { CashlinkListQuery, CashlinkRequestOptions, Page } from '../pagination/page';
import type { CashlinkInvestment, CashlinkInvestmentCreate } from './cashlink-investments.types';
import { idSegment } from './resource-path';

/** Investments (`/v2/investments/`). */
@Injectable()
export class CashlinkInvestmentsService {
  constructor(
    private readonly http: CashlinkHttpClient,
    private readonly writes: CashlinkWriteExecutor,
    private readonly pages: CashlinkPaginator,
  ) {}

  /**
   * Creates an investment. Pass your own id as `opts.idempotencyKey` (e.g. your order id): a repeat
   * after a crash or a lost answer then returns the first investment instead of creating a second.
   */
  create(input: CashlinkInvestmentCreate, opts?: CashlinkWriteOptions): Promise<CashlinkInvestment> {
    return this.writes.execute<CashlinkInvestment>(
      { operation: 'investments.create', method: 'POST', path: '/v2/investments/', json: input },
      opts,
    );
  }

  /** One investment. Throws `CashlinkNotFoundError` for an unknown id. */
  async get(id: string, opts?: CashlinkRequestOptions): Promise<CashlinkInvestment> {
    const response = await this.http.request<CashlinkInvestment>({
      method: 'GET',
      path: `/v2/investments/${idSegment(id, 'investment id')}/`,
      ...opts,
    });
    return response.data;
  }

  /** One page of investments, oldest first. */
  list(query?: CashlinkListQuery, opts?: CashlinkRequestOptions): Promise<Page<CashlinkInvestment>> {
    return this.pages.list<CashlinkInvestment>('/v2/investments/', query, opts);
  }

  /** Every investment; pages are fetched as the loop goes and no more after it breaks. */
  all(query?: CashlinkListQuery, opts?: CashlinkRequestOptions): AsyncGenerator<CashlinkInvestment> {
    return this.pages.all<CashlinkInvestment>('/v2/investments/', query, opts);
  }
}
