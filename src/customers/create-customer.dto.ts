import { BadRequestException } from '@nestjs/common';

/**
 * What `POST /customers` takes. The rest of the investor (address, birth date...) uses demo constants, so
 * that a repeated investor call builds exactly the same request from the stored customer (a different body
 * under the same idempotency key would be refused as a conflict).
 */
export interface CreateCustomerDto {
  forename: string;
  surname: string;
  email: string;
}

/** Checks the body by hand (the demo has no validation pipe). */
export function parseCreateCustomer(body: unknown): CreateCustomerDto {
  if (body === null || typeof body !== 'object') throw new BadRequestException('expected a JSON object');
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of ['forename', 'surname', 'email'] as const) {
    const value = b[field];
    if (typeof value !== 'string' || value.trim() === '') problems.push(`${field}: required, a string`);
    else if (value.length > (field === 'email' ? 200 : 100)) problems.push(`${field}: too long`);
  }
  if (typeof b.email === 'string' && !b.email.includes('@')) problems.push('email: not an e-mail address');
  if (problems.length > 0) throw new BadRequestException(problems);
  return {
    forename: String(b.forename).trim(),
    surname: String(b.surname).trim(),
    email: String(b.email).trim(),
  };
}
