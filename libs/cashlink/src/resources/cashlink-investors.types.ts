/** Salutation of a natural person. `MR` and `MS` are documented; others are accepted (assumed). */
export type CashlinkSalutation = 'MR' | 'MS' | (string & {});

/** A person (the investor, or the person with authority of a legal person). Contract §4.1. */
export interface CashlinkNaturalPerson {
  salutation?: CashlinkSalutation;
  forename: string;
  surname: string;
  /** `YYYY-MM-DD` */
  birth_date?: string;
  birth_place?: string;
  /** ISO 3166 alpha-3, e.g. `DEU`. */
  citizenship?: string;
  street?: string;
  city?: string;
  zip?: string;
  /** ISO 3166 alpha-3. */
  country?: string;
  phone?: string;
  is_pep?: boolean;
  /** Must be false: Cashlink refuses investors subject to US tax. */
  is_subject_to_us_tax?: boolean;
}

/** A company investor. Contract §4.2. */
export interface CashlinkLegalPerson {
  company_name: string;
  commercial_register?: string;
  commercial_register_number?: string;
  /** Document id from `CashlinkDocumentsService.upload()`. */
  company_identity_proof_id?: string;
  /** Document id from `CashlinkDocumentsService.upload()`. */
  company_structure_proof_id?: string;
  street?: string;
  city?: string;
  zip?: string;
  country?: string;
  phone?: string;
}

export interface CashlinkBankAccount {
  account_holder?: string;
  iban?: string;
  bic?: string;
  bank?: string;
  country?: string;
  currency?: string;
}

export interface CashlinkTaxInformation {
  tax_identification_number?: string;
  non_assessment_certificate?: boolean;
  /** Field name assumed. */
  is_subject_to_german_tax?: boolean;
}

export interface CashlinkCommunication {
  email?: string;
  email_confirmed?: boolean;
}

/** Body of `POST /v2/investors/`. */
export interface CashlinkInvestorCreate {
  natural_person?: CashlinkNaturalPerson;
  legal_person?: CashlinkLegalPerson;
  /** Acts on own account. Required; write-only. */
  is_beneficiary: boolean;
  bank_account?: CashlinkBankAccount;
  tax_information?: CashlinkTaxInformation;
  communication?: CashlinkCommunication;
  [field: string]: unknown;
}

/** Body of `PATCH /v2/investors/{id}/`: any subset of the investor. */
export type CashlinkInvestorUpdate = Partial<Omit<CashlinkInvestorCreate, 'is_beneficiary'>> & {
  [field: string]: unknown;
};

/** An investor as Cashlink answers it. */
export interface CashlinkInvestor {
  id: string;
  natural_person?: CashlinkNaturalPerson;
  legal_person?: CashlinkLegalPerson;
  bank_account?: CashlinkBankAccount;
  tax_information?: CashlinkTaxInformation;
  communication?: CashlinkCommunication;
  [field: string]: unknown;
}

/** Body of `POST /v2/investors/{id}/identifications/`. Contract §4.3. */
export interface CashlinkIdentificationCreate {
  document_type: 'IDCARD' | 'PASSPORT' | (string & {});
  document_id: string;
  document_issuer?: string;
  /** `YYYY-MM-DD` */
  document_valid_from?: string;
  /** `YYYY-MM-DD` */
  document_valid_to?: string;
  identity_provider?: 'POSTIDENT' | (string & {});
  legitimation_process_id?: string;
  /** Document id of the legitimation protocol. */
  legitimation_protocol_id?: string;
  /** ISO 8601 timestamp. */
  verified_at: string;
  [field: string]: unknown;
}

export interface CashlinkIdentification {
  id: string;
  [field: string]: unknown;
}

/**
 * Which wallet to create: `generic` registers an address the investor controls
 * (`/wallets/eth-generic/`); `managed` lets Cashlink generate one (`/wallets/eth-managed/`, at most one).
 */
export type CashlinkWalletCreate =
  { type: 'generic'; address: string; receiving_enabled?: boolean } | { type: 'managed' };

export interface CashlinkWallet {
  id: string;
  address?: string;
  [field: string]: unknown;
}
