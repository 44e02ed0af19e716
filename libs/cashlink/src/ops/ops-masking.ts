/**
 * Fields shown as they are: ids, amounts, states and timestamps of Cashlink's objects, which identify a
 * row without saying anything about a person. Every other leaf (names, addresses, e-mail, IBAN, tax
 * ids, birth data, free text) is masked unless an operator asks to reveal it.
 */
const SAFE_FIELDS = new Set([
  'id',
  'investor_id',
  'campaign_id',
  'product_id',
  'wallet',
  'units',
  'status',
  'signed_at',
  'accepted_at',
  'paid_at',
  'delivered_at',
  'created_at',
  'changed_at',
  'cancellation_date',
  'amount',
  'decimals',
  'currency',
  'type',
  'filename',
  'contentType',
  'size',
  'sha256',
  'document_type',
  'identity_provider',
  'receiving_enabled',
  'start_url',
  'investment_id',
]);

/** What a masked value is shown as. */
export const MASK = '•••';

/**
 * A copy of `value` with every leaf not in the safe list replaced by `MASK` (keys and structure stay,
 * so an operator sees what was sent without seeing who it is about). `reveal` returns the value as is.
 */
export function maskPersonalData(value: unknown, reveal = false, key?: string): unknown {
  if (reveal) return value;
  if (Array.isArray(value)) return value.map((item) => maskPersonalData(item, false, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, maskPersonalData(v, false, k)]),
    );
  }
  if (value === null || value === undefined) return value;
  return key !== undefined && SAFE_FIELDS.has(key) ? value : MASK;
}

/** A raw text that may hold anything (an unreadable webhook body): its size only, unless revealed. */
export function maskText(text: string | null, reveal = false): string | null {
  if (text === null || reveal) return text;
  return `${MASK} (${Buffer.byteLength(text)} bytes; --reveal to show)`;
}
