import type { OrderedCollection } from './emulator-state.store';
import { detailError } from './emulator-http';

/** Assumed (contract §2): default and maximum page size. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

function positiveInt(raw: string | null): number | undefined {
  if (raw === null || !/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return value > 0 ? value : undefined;
}

/**
 * One page, DRF PageNumberPagination style: `page` is 1-based, `page_size` is clamped to the maximum
 * (an invalid one falls back to the default), an out-of-range page is 404 `{"detail": "Invalid page."}`.
 * `next`/`previous` are absolute URLs. O(page): the collection is sliced, never sorted.
 */
export function paginate<T extends { id: string }>(
  collection: OrderedCollection<T>,
  query: URLSearchParams,
  absolutePath: string,
): { count: number; next: string | null; previous: string | null; results: T[] } {
  const pageSize = Math.min(positiveInt(query.get('page_size')) ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const rawPage = query.get('page');
  const page = rawPage === null ? 1 : positiveInt(rawPage);
  const count = collection.size;
  const lastPage = Math.max(1, Math.ceil(count / pageSize));
  if (page === undefined || page > lastPage) throw detailError(404, 'Invalid page.');
  const link = (n: number): string => {
    const params = new URLSearchParams(query);
    params.set('page', String(n));
    if (query.has('page_size')) params.set('page_size', String(pageSize));
    return `${absolutePath}?${params.toString()}`;
  };
  return {
    count,
    next: page < lastPage ? link(page + 1) : null,
    previous: page > 1 ? link(page - 1) : null,
    results: collection.slice((page - 1) * pageSize, pageSize),
  };
}
