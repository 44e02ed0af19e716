import { ProtectionCodec } from './protection-codec';

/** The intents table and its protected columns (the stores name these tables too; the names are the schema). */
export const INTENTS_TABLE = 'cashlink_intents';
export const INTENT_PROTECTED_COLUMNS = ['request_body', 'response_body', 'last_error'] as const;
export type IntentProtectedColumn = (typeof INTENT_PROTECTED_COLUMNS)[number];

/** The webhook inbox and its protected column. */
export const INBOX_TABLE = 'cashlink_webhook_inbox';

/** The associated data that binds a protected column value of an intent to its row. */
export function intentBinding(column: IntentProtectedColumn, key: string): string {
  return ProtectionCodec.binding(INTENTS_TABLE, column, key);
}

/** The associated data that binds a quarantined raw body to its inbox row. */
export function rawBodyBinding(id: string): string {
  return ProtectionCodec.binding(INBOX_TABLE, 'raw_body', id);
}
