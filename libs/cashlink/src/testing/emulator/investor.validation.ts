import {
  ALPHA3,
  ALPHA3_MESSAGE,
  FieldReader,
  addError,
  isValidIban,
  type FieldErrors,
} from './emulator-validation';

type Obj = Record<string, unknown>;

/** Salutations the emulator accepts. `MR`/`MS` are facts; `MX` is assumed. */
export const SALUTATIONS = ['MR', 'MS', 'MX'] as const;

const PHONE = /^\+?[0-9 ()/-]{5,30}$/;

/** Checks whether a document id exists (for `legal_person` proofs). */
export type DocumentExists = (id: string) => boolean;

function naturalPerson(input: Obj, partial: boolean): { out: Obj; errors: FieldErrors } {
  const r = new FieldReader(input, partial);
  r.choice('salutation', SALUTATIONS, { required: true });
  r.string('forename', { required: true, maxLength: 255 });
  r.string('surname', { required: true, maxLength: 255 });
  r.date('birth_date', { required: true });
  r.string('birth_place', { maxLength: 255, nullable: true });
  r.string('citizenship', { required: true, pattern: ALPHA3, patternMessage: ALPHA3_MESSAGE });
  r.string('street', { required: true, maxLength: 255 });
  r.string('city', { required: true, maxLength: 255 });
  r.string('zip', { required: true, maxLength: 20 });
  r.string('country', { required: true, pattern: ALPHA3, patternMessage: ALPHA3_MESSAGE });
  r.string('phone', { nullable: true, pattern: PHONE, patternMessage: 'Enter a valid phone number.' });
  r.boolean('is_pep');
  r.boolean('is_subject_to_us_tax');
  const birthDate = r.out.birth_date;
  if (typeof birthDate === 'string' && birthDate >= new Date().toISOString().slice(0, 10)) {
    addError(r.errors, 'birth_date', 'The birth date must be in the past.');
  }
  // Fact (Cashlink docs): US tax subjects cannot be onboarded.
  if (input.is_subject_to_us_tax === true) {
    addError(r.errors, 'is_subject_to_us_tax', 'Investors who are subject to US tax cannot be onboarded.');
  }
  if (!partial) {
    r.out.is_pep ??= false;
    r.out.is_subject_to_us_tax ??= false;
    r.out.birth_place ??= null;
    r.out.phone ??= null;
  }
  return r;
}

function legalPerson(input: Obj, documentExists: DocumentExists, partial: boolean) {
  const r = new FieldReader(input, partial);
  r.string('company_name', { required: true, maxLength: 255 });
  r.string('commercial_register', { nullable: true, maxLength: 255 });
  r.string('commercial_register_number', { nullable: true, maxLength: 255 });
  r.string('company_identity_proof_id', { nullable: true });
  r.string('company_structure_proof_id', { nullable: true });
  r.string('street', { required: true, maxLength: 255 });
  r.string('city', { required: true, maxLength: 255 });
  r.string('zip', { required: true, maxLength: 20 });
  r.string('country', { required: true, pattern: ALPHA3, patternMessage: ALPHA3_MESSAGE });
  r.string('phone', { nullable: true, pattern: PHONE, patternMessage: 'Enter a valid phone number.' });
  for (const field of ['company_identity_proof_id', 'company_structure_proof_id']) {
    const id = r.out[field];
    if (typeof id === 'string' && !documentExists(id)) {
      addError(r.errors, field, `Invalid pk "${id}" - document does not exist.`);
    }
  }
  return r;
}

function bankAccount(input: Obj, partial: boolean) {
  const r = new FieldReader(input, partial);
  r.string('account_holder', { required: true, maxLength: 255 });
  r.string('iban', { required: true });
  r.string('bic', {
    nullable: true,
    pattern: /^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$/,
    patternMessage: 'Enter a valid BIC.',
  });
  r.string('bank', { nullable: true, maxLength: 255 });
  r.string('country', { nullable: true, pattern: ALPHA3, patternMessage: ALPHA3_MESSAGE });
  r.string('currency', {
    nullable: true,
    pattern: /^[A-Z]{3}$/,
    patternMessage: 'Enter an ISO 4217 currency code.',
  });
  if (typeof r.out.iban === 'string' && !isValidIban(r.out.iban)) {
    delete r.out.iban;
    addError(r.errors, 'iban', 'Enter a valid IBAN.');
  }
  return r;
}

function taxInformation(input: Obj, partial: boolean) {
  const r = new FieldReader(input, partial);
  r.string('tax_identification_number', { nullable: true, maxLength: 64 });
  r.boolean('non_assessment_certificate');
  // Field name assumed (contract §4.1).
  r.boolean('is_subject_to_german_tax');
  return r;
}

function communication(input: Obj, partial: boolean) {
  const r = new FieldReader(input, partial);
  r.string('email', {
    required: true,
    pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
    patternMessage: 'Enter a valid email address.',
  });
  r.boolean('email_confirmed');
  if (!partial) r.out.email_confirmed ??= false;
  return r;
}

/**
 * Validates an investor. For a PATCH, nested objects are merged into the stored ones first and then
 * validated whole (assumed: Cashlink updates nested objects partially).
 */
export function validateInvestor(
  input: Obj,
  documentExists: DocumentExists,
  existing?: Obj,
): { out: Obj; errors: FieldErrors } {
  const partial = existing !== undefined;
  const merged: Obj = { ...input };
  if (existing) {
    for (const key of [
      'natural_person',
      'legal_person',
      'bank_account',
      'tax_information',
      'communication',
    ]) {
      const patch = input[key];
      const stored = existing[key];
      if (
        patch !== null &&
        typeof patch === 'object' &&
        !Array.isArray(patch) &&
        stored &&
        typeof stored === 'object'
      ) {
        merged[key] = { ...(stored as Obj), ...(patch as Obj) };
      }
    }
  }
  const r = new FieldReader(merged, partial);
  r.nested('natural_person', { required: true }, (v) => naturalPerson(v, false));
  r.nested('legal_person', { nullable: true }, (v) => legalPerson(v, documentExists, false));
  r.nested('bank_account', { nullable: true }, (v) => bankAccount(v, false));
  r.nested('tax_information', { nullable: true }, (v) => taxInformation(v, false));
  r.nested('communication', { nullable: true }, (v) => communication(v, false));
  r.boolean('is_beneficiary', { required: true });
  return r;
}
