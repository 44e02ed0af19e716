/** The DataSource holding the protected tables (the module aliases it to the host's DataSource). */
export const CASHLINK_PROTECTION_DATA_SOURCE = Symbol('CASHLINK_PROTECTION_DATA_SOURCE');
