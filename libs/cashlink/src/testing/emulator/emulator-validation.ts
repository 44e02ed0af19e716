// DRF-style field validation: errors are `{"field": ["message"]}`, nested objects nested the same way.

/** Field errors in DRF's shape. */
export interface FieldErrors {
  [field: string]: string[] | FieldErrors;
}

export const REQUIRED = 'This field is required.';
export const NOT_NULL = 'This field may not be null.';

type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

/** DRF's message for a non-object where an object is expected. */
export function notADictionary(value: unknown): FieldErrors {
  return { non_field_errors: [`Invalid data. Expected a dictionary, but got ${typeName(value)}.`] };
}

export function addError(errors: FieldErrors, field: string, message: string): void {
  const existing = errors[field];
  if (Array.isArray(existing)) existing.push(message);
  else errors[field] = [message];
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.keys(errors).length > 0;
}

interface FieldRule {
  required?: boolean;
  nullable?: boolean;
}

/** Collects validated fields from `input` into `out`, errors into `errors`. */
export class FieldReader {
  readonly errors: FieldErrors = {};
  readonly out: Obj = {};

  constructor(
    private readonly input: Obj,
    /** PATCH: no field is required. */
    private readonly partial = false,
  ) {}

  private present(field: string, rule: FieldRule): unknown {
    const value = this.input[field];
    if (value === undefined) {
      if (rule.required && !this.partial) addError(this.errors, field, REQUIRED);
      return undefined;
    }
    if (value === null) {
      if (rule.nullable) this.out[field] = null;
      else addError(this.errors, field, NOT_NULL);
      return undefined;
    }
    return value;
  }

  string(
    field: string,
    rule: FieldRule & { maxLength?: number; pattern?: RegExp; patternMessage?: string } = {},
  ) {
    const value = this.present(field, rule);
    if (value === undefined) return;
    if (typeof value !== 'string') return addError(this.errors, field, 'Not a valid string.');
    if (value.trim() === '') return addError(this.errors, field, 'This field may not be blank.');
    if (rule.maxLength !== undefined && value.length > rule.maxLength) {
      return addError(this.errors, field, `Ensure this field has no more than ${rule.maxLength} characters.`);
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      return addError(this.errors, field, rule.patternMessage ?? 'Enter a valid value.');
    }
    this.out[field] = value;
  }

  choice(field: string, choices: readonly string[], rule: FieldRule = {}) {
    const value = this.present(field, rule);
    if (value === undefined) return;
    if (typeof value !== 'string' || !choices.includes(value)) {
      return addError(this.errors, field, `"${String(value)}" is not a valid choice.`);
    }
    this.out[field] = value;
  }

  boolean(field: string, rule: FieldRule = {}) {
    const value = this.present(field, rule);
    if (value === undefined) return;
    if (typeof value !== 'boolean') return addError(this.errors, field, 'Must be a valid boolean.');
    this.out[field] = value;
  }

  integer(field: string, rule: FieldRule = {}) {
    const value = this.present(field, rule);
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      return addError(this.errors, field, 'A valid integer is required.');
    }
    this.out[field] = value;
  }

  date(field: string, rule: FieldRule = {}) {
    const value = this.present(field, rule);
    if (value === undefined) return;
    if (!isValidDate(value)) {
      return addError(
        this.errors,
        field,
        'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.',
      );
    }
    this.out[field] = value;
  }

  timestamp(field: string, rule: FieldRule = {}) {
    const value = this.present(field, rule);
    if (value === undefined) return;
    if (!isValidTimestamp(value)) {
      return addError(
        this.errors,
        field,
        'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
      );
    }
    this.out[field] = new Date(value).toISOString();
  }

  /** A nested object validated by `validate`; its errors nest under `field`. */
  nested(field: string, rule: FieldRule, validate: (value: Obj) => { out: Obj; errors: FieldErrors }) {
    const value = this.present(field, rule);
    if (value === undefined) return;
    if (!isObject(value)) {
      this.errors[field] = notADictionary(value);
      return;
    }
    const result = validate(value);
    if (hasErrors(result.errors)) this.errors[field] = result.errors;
    else this.out[field] = result.out;
  }

  /** A list of strings (ids). */
  stringList(field: string, rule: FieldRule = {}) {
    const value = this.present(field, rule);
    if (value === undefined) return;
    if (!Array.isArray(value)) {
      return addError(this.errors, field, `Expected a list of items but got type "${typeName(value)}".`);
    }
    if (value.some((v) => typeof v !== 'string')) return addError(this.errors, field, 'Not a valid string.');
    this.out[field] = [...(value as string[])];
  }
}

export function isValidDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export function isValidTimestamp(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return false;
  return !Number.isNaN(new Date(value).getTime());
}

export const ALPHA3 = /^[A-Z]{3}$/;
export const ALPHA3_MESSAGE = 'Enter an ISO 3166 alpha-3 country code, e.g. "DEU".';

/** IBAN check (ISO 13616 mod-97). */
export function isValidIban(value: string): boolean {
  const iban = value.replace(/\s+/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const digits = /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of digits) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return remainder === 1;
}
