import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Name of the table that lists every key id that sealed a value (the migration creates it). */
export const CASHLINK_ENCRYPTION_KEYS_TABLE = 'cashlink_encryption_keys';

/**
 * A key id that may have sealed stored values: registered when an instance starts with it active,
 * removed by `CashlinkDataProtectionService.reencrypt()` once no value uses it. Start-up refuses a key
 * ring that lacks one of them. Holds ids only, never keys.
 */
@Entity({ name: CASHLINK_ENCRYPTION_KEYS_TABLE })
export class CashlinkEncryptionKeyEntity {
  @PrimaryColumn({ name: 'key_id', type: 'varchar', length: 32 })
  keyId!: string;

  @Column({
    name: 'registered_at',
    type: 'bigint',
    transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) },
  })
  registeredAt!: number;
}
