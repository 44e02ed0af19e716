import { randomUUID } from 'node:crypto';
import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { CashlinkInvestorsService, type CashlinkInvestorCreate } from 'nestjs-cashlink';
import { Repository } from 'typeorm';
import type { CreateCustomerDto } from './create-customer.dto';
import { Customer } from './customer.entity';

/** Customers, and their investors at Cashlink. */
@Injectable()
export class CustomersService {
  constructor(
    @InjectRepository(Customer) private readonly customers: Repository<Customer>,
    private readonly investors: CashlinkInvestorsService,
  ) {}

  /** Stores the customer, then creates its investor at Cashlink (see `ensureInvestor`). */
  async create(input: CreateCustomerDto): Promise<{ customer: Customer; investorError?: unknown }> {
    const customer = await this.customers.save(
      this.customers.create({
        id: randomUUID(),
        forename: input.forename,
        surname: input.surname,
        email: input.email,
        cashlinkInvestorId: null,
        createdAt: new Date().toISOString(),
      }),
    );
    try {
      return { customer: await this.ensureInvestor(customer.id) };
    } catch (investorError) {
      // The customer exists; `POST /customers/:id/investor` repeats the call with the same key.
      return { customer, investorError };
    }
  }

  /**
   * Creates the customer's investor at Cashlink, with the customer's id as the idempotency key: however
   * often this runs (a lost answer, a crash, a user clicking twice), Cashlink creates one investor.
   */
  async ensureInvestor(customerId: string): Promise<Customer> {
    const customer = await this.get(customerId);
    if (customer.cashlinkInvestorId !== null) return customer;
    const investor = await this.investors.create(toInvestor(customer), { idempotencyKey: customer.id });
    customer.cashlinkInvestorId = investor.id;
    return this.customers.save(customer);
  }

  /**
   * Sends the investor call again, exactly as `ensureInvestor` did: what a retry after a lost answer or a
   * crash does. The key is settled, so the library answers with the stored investor and sends nothing.
   */
  async repeatInvestorCall(customerId: string): Promise<string> {
    const customer = await this.get(customerId);
    const investor = await this.investors.create(toInvestor(customer), { idempotencyKey: customer.id });
    return investor.id;
  }

  async get(id: string): Promise<Customer> {
    const customer = await this.customers.findOneBy({ id });
    if (customer === null) throw new NotFoundException(`no customer ${id}`);
    return customer;
  }

  list(): Promise<Customer[]> {
    return this.customers.find({ order: { createdAt: 'ASC' } });
  }
}

/** The Cashlink investor of a customer (contract §4.1); demo constants stand in for a real onboarding form. */
function toInvestor(customer: Customer): CashlinkInvestorCreate {
  return {
    natural_person: {
      salutation: 'MS',
      forename: customer.forename,
      surname: customer.surname,
      birth_date: '1990-01-01',
      birth_place: 'Berlin',
      citizenship: 'DEU',
      street: 'Musterstrasse 1',
      city: 'Berlin',
      zip: '10115',
      country: 'DEU',
      phone: '+49301234567',
      is_pep: false,
      is_subject_to_us_tax: false,
    },
    is_beneficiary: true,
    communication: { email: customer.email, email_confirmed: true },
  };
}
