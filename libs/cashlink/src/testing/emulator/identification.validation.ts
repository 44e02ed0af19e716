import { FieldReader, addError, type FieldErrors } from './emulator-validation';

/** Identity documents (fact). */
export const DOCUMENT_TYPES = ['IDCARD', 'PASSPORT'] as const;
/** Identity providers: `POSTIDENT` is a fact, the others are assumed. */
export const IDENTITY_PROVIDERS = ['POSTIDENT', 'IDNOW', 'WEBID', 'NECT', 'OTHER'] as const;

/** Validates an identification (contract §4.3). */
export function validateIdentification(
  input: Record<string, unknown>,
  documentExists: (id: string) => boolean,
): { out: Record<string, unknown>; errors: FieldErrors } {
  const r = new FieldReader(input);
  r.choice('document_type', DOCUMENT_TYPES, { required: true });
  r.string('document_id', { required: true, maxLength: 255 });
  r.string('document_issuer', { nullable: true, maxLength: 255 });
  r.date('document_valid_from', { nullable: true });
  r.date('document_valid_to', { nullable: true });
  r.choice('identity_provider', IDENTITY_PROVIDERS, { required: true });
  r.string('legitimation_process_id', { nullable: true, maxLength: 255 });
  r.string('legitimation_protocol_id', { nullable: true });
  r.timestamp('verified_at', { required: true });
  const from = r.out.document_valid_from;
  const to = r.out.document_valid_to;
  if (typeof from === 'string' && typeof to === 'string' && to < from) {
    addError(r.errors, 'document_valid_to', 'The document must be valid until after it became valid.');
  }
  if (typeof to === 'string' && to < new Date().toISOString().slice(0, 10)) {
    addError(r.errors, 'document_valid_to', 'The identity document has expired.');
  }
  const protocol = r.out.legitimation_protocol_id;
  if (typeof protocol === 'string' && !documentExists(protocol)) {
    addError(r.errors, 'legitimation_protocol_id', `Invalid pk "${protocol}" - document does not exist.`);
  }
  for (const field of [
    'document_issuer',
    'document_valid_from',
    'document_valid_to',
    'legitimation_process_id',
    'legitimation_protocol_id',
  ]) {
    r.out[field] ??= null;
  }
  return r;
}
