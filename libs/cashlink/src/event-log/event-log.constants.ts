/** The event log's slice of the resolved options (`ResolvedEventsOptions`), provided by the module. */
export const CASHLINK_EVENTS_OPTIONS = Symbol('CASHLINK_EVENTS_OPTIONS');
