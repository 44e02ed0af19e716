import { FieldReader, type FieldErrors } from './emulator-validation';

/** Validates an `eth-generic` wallet: a 0x address and an optional `receiving_enabled`. */
export function validateGenericWallet(input: Record<string, unknown>): {
  out: Record<string, unknown>;
  errors: FieldErrors;
} {
  const r = new FieldReader(input);
  r.string('address', {
    required: true,
    pattern: /^0x[0-9a-fA-F]{40}$/,
    patternMessage: 'Enter a valid Ethereum address (0x followed by 40 hex digits).',
  });
  r.boolean('receiving_enabled');
  r.out.receiving_enabled ??= true;
  return r;
}
