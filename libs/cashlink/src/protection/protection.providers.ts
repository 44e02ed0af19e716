import { Logger, type Provider, type Type } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { CashlinkConfigError } from '../errors/cashlink.error';
import type { ResolvedProtectionOptions } from './protection.options';
import { CashlinkDataProtectionService } from './cashlink-data-protection.service';
import { CashlinkEncryptionKeyEntity } from './cashlink-encryption-key.entity';
import { ProtectionCodec } from './protection-codec';
import { CASHLINK_PROTECTION_DATA_SOURCE, CASHLINK_PROTECTION_OPTIONS } from './protection.constants';

/** TypeORM entities of data protection, registered on the host's DataSource. */
export const PROTECTION_ENTITIES: Type[] = [CashlinkEncryptionKeyEntity];

/**
 * The codec for the stores. With persistence on, `encryption` must be given: investor data is never
 * stored in clear by default, and storing it in clear is a choice the app states (`false`) and that
 * start-up repeats in the log every time.
 */
export function createProtectionCodec(protection: ResolvedProtectionOptions): ProtectionCodec {
  if (!protection.configured) {
    throw new CashlinkConfigError([
      'encryption: required with persistence on (the library stores investor data: requests, answers, documents). ' +
        "Pass { keys: { k1: '<base64 32-byte key>' }, activeKeyId: 'k1' } (generate a key with " +
        'openssl rand -base64 32), ' +
        'or encryption: false to store it in clear (not for production). See docs/personal-data.md.',
    ]);
  }
  if (!protection.enabled) {
    new Logger('CashlinkDataProtection').warn(
      'encryption: false: investor data (intent requests, answers, errors, documents, quarantined webhook bodies) ' +
        'is stored IN CLEAR in the database. Set encryption: { keys, activeKeyId } for anything but a throwaway database.',
    );
  }
  return new ProtectionCodec(protection);
}

/** Providers of data protection (added to CashlinkModule with persistence). */
export const PROTECTION_PROVIDERS: Provider[] = [
  { provide: ProtectionCodec, useFactory: createProtectionCodec, inject: [CASHLINK_PROTECTION_OPTIONS] },
  {
    provide: CashlinkDataProtectionService,
    useFactory: (dataSource: DataSource, codec: ProtectionCodec, options: ResolvedProtectionOptions) =>
      new CashlinkDataProtectionService(dataSource, codec, options),
    inject: [CASHLINK_PROTECTION_DATA_SOURCE, ProtectionCodec, CASHLINK_PROTECTION_OPTIONS],
  },
];

/** Services of data protection the module exports to the host. */
export const PROTECTION_EXPORTS = [CashlinkDataProtectionService];
