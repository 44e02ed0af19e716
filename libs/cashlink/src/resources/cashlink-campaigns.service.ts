import { Injectable } from '@nestjs/common';
import { CashlinkHttpClient } from '../http/cashlink-http.client';
import { CashlinkPaginator } from '../pagination/cashlink-paginator';
import type { CashlinkListQuery, CashlinkRequestOptions, Page } from '../pagination/page';
import type { CashlinkCampaign } from './cashlink-products.types';
import { idSegment } from './resource-path';

/** Campaigns (`/v2/campaigns/`, path assumed), read-only. */
@Injectable()
export class CashlinkCampaignsService {
  constructor(
    private readonly http: CashlinkHttpClient,
    private readonly pages: CashlinkPaginator,
  ) {}

  /** One campaign. Throws `CashlinkNotFoundError` for an unknown id. */
  async get(id: string, opts?: CashlinkRequestOptions): Promise<CashlinkCampaign> {
    const response = await this.http.request<CashlinkCampaign>({
      method: 'GET',
      path: `/v2/campaigns/${idSegment(id, 'campaign id')}/`,
      ...opts,
    });
    return response.data;
  }

  /** One page of campaigns, oldest first. */
  list(query?: CashlinkListQuery, opts?: CashlinkRequestOptions): Promise<Page<CashlinkCampaign>> {
    return this.pages.list<CashlinkCampaign>('/v2/campaigns/', query, opts);
  }

  /** Every campaign; pages are fetched as the loop goes. */
  all(query?: CashlinkListQuery, opts?: CashlinkRequestOptions): AsyncGenerator<CashlinkCampaign> {
    return this.pages.all<CashlinkCampaign>('/v2/campaigns/', query, opts);
  }
}
