import { randomUUID } from 'node:crypto';
import type { EmulatorFaultKind, EmulatorFaultSpec } from './emulator.types';

/** The route pattern of the token endpoint in fault specs. */
export const TOKEN_ROUTE = 'POST /oauth/token';

const KINDS: readonly EmulatorFaultKind[] = ['server_error', 'drop_after_work', 'rate_limit', 'delay'];

/** A fault that hit a request, with its resolved settings. */
export interface FiredFault {
  kind: EmulatorFaultKind;
  status: number;
  retryAfterSeconds: number;
  delayMs: number;
}

interface ActiveFault extends FiredFault {
  id: string;
  route?: string;
  probability: number;
  remaining?: number;
}

function normalizeRoute(route: string): string {
  const [method = '', path = ''] = route.trim().split(/\s+/, 2);
  return `${method.toUpperCase()} ${path}`;
}

/** Injected faults, matched by route template, fired by probability and/or for the next N requests. */
export class EmulatorFaults {
  private faults: ActiveFault[] = [];

  /** Adds a fault and returns its id. Throws on an invalid spec. */
  inject(spec: EmulatorFaultSpec): string {
    if (!KINDS.includes(spec.kind)) {
      throw new Error(`Unknown fault kind "${String(spec.kind)}"; use one of ${KINDS.join(', ')}`);
    }
    const probability = spec.probability ?? 1;
    if (!(probability >= 0 && probability <= 1)) throw new Error('Fault probability must be between 0 and 1');
    if (spec.count !== undefined && !(Number.isInteger(spec.count) && spec.count > 0)) {
      throw new Error('Fault count must be a positive integer');
    }
    if (spec.route !== undefined && !/^[A-Za-z]+\s+\/\S*$/.test(spec.route.trim())) {
      throw new Error(`Fault route "${spec.route}" must look like 'POST /v2/investments/'`);
    }
    const id = randomUUID();
    this.faults.push({
      id,
      kind: spec.kind,
      route: spec.route === undefined ? undefined : normalizeRoute(spec.route),
      status: spec.status ?? (spec.kind === 'rate_limit' ? 429 : 503),
      retryAfterSeconds: spec.retryAfterSeconds ?? 1,
      delayMs: spec.delayMs ?? 1000,
      probability,
      remaining: spec.count,
    });
    return id;
  }

  /** Removes one fault by id, or all. */
  clear(id?: string): void {
    this.faults = id === undefined ? [] : this.faults.filter((f) => f.id !== id);
  }

  /**
   * The first fault that matches `route` (`'GET /v2/investments/{id}/'`) and fires, counting it down.
   * A fault without a route matches every API route but never the token endpoint.
   */
  take(route: string): FiredFault | undefined {
    for (const fault of this.faults) {
      const matches = fault.route === undefined ? route !== TOKEN_ROUTE : fault.route === route;
      if (!matches) continue;
      if (fault.probability < 1 && Math.random() >= fault.probability) continue;
      if (fault.remaining !== undefined) {
        fault.remaining -= 1;
        if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
      }
      return {
        kind: fault.kind,
        status: fault.status,
        retryAfterSeconds: fault.retryAfterSeconds,
        delayMs: fault.delayMs,
      };
    }
    return undefined;
  }
}
