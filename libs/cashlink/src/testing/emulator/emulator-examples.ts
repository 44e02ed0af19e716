// Valid request bodies for tests: a starting point that individual tests change field by field.
// Typed as the library's inputs, so that they pass to the services as they are.
import type {
  CashlinkIdentificationCreate,
  CashlinkInvestorCreate,
} from '../../resources/cashlink-investors.types';

/** A valid `POST /v2/investors/` body for a natural person (fictitious data). */
export function exampleInvestorInput(): CashlinkInvestorCreate {
  return {
    is_beneficiary: true,
    natural_person: {
      salutation: 'MS',
      forename: 'Erika',
      surname: 'Mustermann',
      birth_date: '1980-04-12',
      birth_place: 'Berlin',
      citizenship: 'DEU',
      street: 'Musterstraße 1',
      city: 'Berlin',
      zip: '10115',
      country: 'DEU',
      phone: '+49 30 1234567',
      is_pep: false,
      is_subject_to_us_tax: false,
    },
    bank_account: {
      account_holder: 'Erika Mustermann',
      iban: 'DE89370400440532013000',
      bic: 'COBADEFFXXX',
      bank: 'Commerzbank',
      country: 'DEU',
      currency: 'EUR',
    },
    tax_information: {
      tax_identification_number: '12345678901',
      non_assessment_certificate: false,
      is_subject_to_german_tax: true,
    },
    communication: { email: 'erika@example.com', email_confirmed: true },
  };
}

/** A valid `POST /v2/investors/{id}/identifications/` body (fictitious data). */
export function exampleIdentificationInput(): CashlinkIdentificationCreate {
  return {
    document_type: 'IDCARD',
    document_id: 'L01X00T47',
    document_issuer: 'Bürgeramt Berlin',
    document_valid_from: '2020-01-01',
    document_valid_to: '2099-12-31',
    identity_provider: 'POSTIDENT',
    legitimation_process_id: 'process-1',
    verified_at: '2026-01-02T10:00:00.000Z',
  };
}
