import type { ValueTransformer } from 'typeorm';

/**
 * Times are stored as epoch milliseconds in `bigint` columns: the same type, comparison and
 * precision on SQLite and PostgreSQL (no driver-specific date handling). `pg` returns bigint as a
 * string, hence the transformer.
 */
export const epochMsTransformer: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | number | null) => (value === null || value === undefined ? null : Number(value)),
};
