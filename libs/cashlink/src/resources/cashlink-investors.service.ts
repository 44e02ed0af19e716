import { Injectable } from '@nestjs/common';
import { CashlinkHttpClient } from '../http/cashlink-http.client';
import { CashlinkWriteExecutor, type CashlinkWriteOptions } from '../http/cashlink-write-executor';
import { CashlinkPaginator } from '../pagination/cashlink-paginator';
import type { CashlinkListQuery, CashlinkRequestOptions, Page } from '../pagination/page';
import type {
  CashlinkIdentification,
  CashlinkIdentificationCreate,
  CashlinkInvestor,
  CashlinkInvestorCreate,
  CashlinkInvestorUpdate,
  CashlinkWallet,
  CashlinkWalletCreate,
} from './cashlink-investors.types';
import { idSegment } from './resource-path';

/** Investors, their identifications and wallets (`/v2/investors/`). */
@Injectable()
export class CashlinkInvestorsService {
  constructor(
    private readonly http: CashlinkHttpClient,
    private readonly writes: CashlinkWriteExecutor,
    private readonly pages: CashlinkPaginator,
  ) {}

  /** Creates an investor. Idempotent under `opts.idempotencyKey` (default: a new UUIDv7). */
  create(input: CashlinkInvestorCreate, opts?: CashlinkWriteOptions): Promise<CashlinkInvestor> {
    return this.writes.execute<CashlinkInvestor>(
      { operation: 'investors.create', method: 'POST', path: '/v2/investors/', json: input },
      opts,
    );
  }

  /** One investor. Throws `CashlinkNotFoundError` for an unknown id. */
  async get(id: string, opts?: CashlinkRequestOptions): Promise<CashlinkInvestor> {
    const response = await this.http.request<CashlinkInvestor>({
      method: 'GET',
      path: `/v2/investors/${idSegment(id, 'investor id')}/`,
      ...opts,
    });
    return response.data;
  }

  /** Changes some fields of an investor (`PATCH`), e.g. `{ communication: { email } }`. */
  async update(
    id: string,
    patch: CashlinkInvestorUpdate,
    opts?: CashlinkWriteOptions,
  ): Promise<CashlinkInvestor> {
    return this.writes.execute<CashlinkInvestor>(
      {
        operation: 'investors.update',
        method: 'PATCH',
        path: `/v2/investors/${idSegment(id, 'investor id')}/`,
        json: patch,
      },
      opts,
    );
  }

  /** One page of investors, oldest first. */
  list(query?: CashlinkListQuery, opts?: CashlinkRequestOptions): Promise<Page<CashlinkInvestor>> {
    return this.pages.list<CashlinkInvestor>('/v2/investors/', query, opts);
  }

  /** Every investor; pages are fetched as the loop goes and no more after it breaks. */
  all(query?: CashlinkListQuery, opts?: CashlinkRequestOptions): AsyncGenerator<CashlinkInvestor> {
    return this.pages.all<CashlinkInvestor>('/v2/investors/', query, opts);
  }

  /** Records a completed identification (KYC) of the investor; needed before a wallet. */
  async createIdentification(
    investorId: string,
    input: CashlinkIdentificationCreate,
    opts?: CashlinkWriteOptions,
  ): Promise<CashlinkIdentification> {
    return this.writes.execute<CashlinkIdentification>(
      {
        operation: 'investors.identifications.create',
        method: 'POST',
        path: `/v2/investors/${idSegment(investorId, 'investor id')}/identifications/`,
        json: input,
      },
      opts,
    );
  }

  /**
   * Creates a wallet: `{ type: 'generic', address }` registers the investor's own address,
   * `{ type: 'managed' }` lets Cashlink generate one. Needs a successful identification first.
   */
  async createWallet(
    investorId: string,
    input: CashlinkWalletCreate,
    opts?: CashlinkWriteOptions,
  ): Promise<CashlinkWallet> {
    const base = `/v2/investors/${idSegment(investorId, 'investor id')}/wallets`;
    if (input.type === 'managed') {
      return this.writes.execute<CashlinkWallet>(
        { operation: 'investors.wallets.create-managed', method: 'POST', path: `${base}/eth-managed/` },
        opts,
      );
    }
    if (input.type !== 'generic') throw new TypeError(`wallet type must be 'generic' or 'managed'`);
    const { type: _type, ...body } = input;
    return this.writes.execute<CashlinkWallet>(
      {
        operation: 'investors.wallets.create-generic',
        method: 'POST',
        path: `${base}/eth-generic/`,
        json: body,
      },
      opts,
    );
  }
}
