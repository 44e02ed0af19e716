import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { EntityManager } from 'typeorm';
import { CashlinkConfigError } from '../errors/cashlink.error';
import { CASHLINK_EVENTS } from '../events/cashlink-events.constants';
import {
  CASHLINK_EVENT_HANDLER,
  type CashlinkEventHandlerMetadata,
  type OnCashlinkEventOptions,
} from '../events/on-cashlink-event.decorator';

/** One method registered with `@OnCashlinkEvent`. */
export interface CashlinkEventHandler {
  name: string;
  events: ReadonlySet<string>;
  transactional: boolean;
  maxAttempts: number | undefined;
  call(event: unknown, manager?: EntityManager): Promise<unknown>;
}

/** Every `@OnCashlinkEvent` method of the app's providers, found once at module init. */
@Injectable()
export class CashlinkEventHandlers implements OnModuleInit {
  private handlers: CashlinkEventHandler[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const found: CashlinkEventHandler[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      // Request-scoped providers have no single instance to call from a background loop.
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (!prototype) continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const meta = this.reflector.get<CashlinkEventHandlerMetadata | undefined>(
          CASHLINK_EVENT_HANDLER,
          fn as (...args: unknown[]) => unknown,
        );
        if (!meta) continue;
        const options: OnCashlinkEventOptions = meta.options;
        found.push({
          name: options.name ?? `${instance.constructor.name}.${method}`,
          events: new Set(meta.events),
          transactional: options.transactional === true,
          maxAttempts: options.maxAttempts,
          call: async (event, manager) =>
            (fn as (e: unknown, m?: EntityManager) => unknown).call(instance, event, manager),
        });
      }
    }
    this.register(found);
  }

  /** Replaces the registered handlers (also used by tests). Names must be unique. */
  register(handlers: CashlinkEventHandler[]): void {
    const names = new Set<string>();
    const problems: string[] = [];
    for (const handler of handlers) {
      if (names.has(handler.name)) {
        problems.push(
          `@OnCashlinkEvent: two handlers are named '${handler.name}'; give one a distinct { name } (its delivery state is stored under it).`,
        );
      }
      if (handler.name.length > 200)
        problems.push(`@OnCashlinkEvent: the name '${handler.name}' is over 200 characters.`);
      names.add(handler.name);
    }
    if (problems.length > 0) throw new CashlinkConfigError(problems);
    this.handlers = handlers;
  }

  /** The handlers of a webhook change (the generic event and its per-status event) or of an intent event. */
  forEvent(names: readonly string[]): CashlinkEventHandler[] {
    return this.handlers.filter((h) => names.some((name) => h.events.has(name)));
  }

  /**
   * Whether any handler may want an event of the log before its fact is read: an intent event by its
   * name; a webhook change by the generic event or any per-status one (the status is in the fact).
   */
  mayHandle(source: string, name: string): boolean {
    if (source !== 'webhook') return this.handlers.some((h) => h.events.has(name));
    return this.handlers.some((h) =>
      [...h.events].some(
        (event) =>
          event === CASHLINK_EVENTS.investmentStatusChanged ||
          event.startsWith(CASHLINK_EVENTS.investmentStatusPrefix),
      ),
    );
  }

  /** Every registered handler. */
  list(): readonly CashlinkEventHandler[] {
    return this.handlers;
  }

  get size(): number {
    return this.handlers.length;
  }
}
