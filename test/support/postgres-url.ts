/** Where the tests find PostgreSQL (trust auth, database `test` by default). */
export const POSTGRES_URL =
  process.env.CASHLINK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
