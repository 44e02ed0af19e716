import { BadRequestException } from '@nestjs/common';

/** What `POST /subscriptions` takes. */
export interface CreateSubscriptionDto {
  customerId: string;
  campaignId: string;
  units: number;
  /** A document uploaded with `POST /documents` (the signed subscription form). */
  documentId?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks the body by hand (the demo has no validation pipe). Cashlink checks the rest (step size, limits). */
export function parseCreateSubscription(body: unknown): CreateSubscriptionDto {
  if (body === null || typeof body !== 'object') throw new BadRequestException('expected a JSON object');
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const field of ['customerId', 'campaignId'] as const) {
    if (typeof b[field] !== 'string' || !UUID.test(b[field] as string))
      problems.push(`${field}: required, a UUID`);
  }
  if (b.documentId !== undefined && (typeof b.documentId !== 'string' || !UUID.test(b.documentId))) {
    problems.push('documentId: a UUID (from POST /documents)');
  }
  if (typeof b.units !== 'number' || !Number.isSafeInteger(b.units) || b.units <= 0) {
    problems.push('units: required, a positive whole number');
  }
  if (problems.length > 0) throw new BadRequestException(problems);
  return {
    customerId: b.customerId as string,
    campaignId: b.campaignId as string,
    units: b.units as number,
    documentId: b.documentId as string | undefined,
  };
}
