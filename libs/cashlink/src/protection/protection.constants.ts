/** The DataSource holding the protected tables (the module aliases it to the host's DataSource). */
export const CASHLINK_PROTECTION_DATA_SOURCE = Symbol('CASHLINK_PROTECTION_DATA_SOURCE');

/** The protection options' slice of the resolved options (`encryption`, `personalData`). */
export const CASHLINK_PROTECTION_OPTIONS = Symbol('CASHLINK_PROTECTION_OPTIONS');
