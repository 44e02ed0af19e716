import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { CashlinkError } from 'nestjs-cashlink';
import { parseCreateCustomer } from './create-customer.dto';
import type { Customer } from './customer.entity';
import { CustomersService } from './customers.service';

@Controller('customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  /**
   * Creates a customer and its Cashlink investor. When Cashlink cannot be reached the customer is kept and
   * the answer is 202 with the reason; `POST /customers/:id/investor` finishes the job without a duplicate.
   */
  // `res` is Express's response or Fastify's reply: both set the status with `status()`.
  @Post()
  async create(
    @Body() body: unknown,
    @Res({ passthrough: true }) res: { status(code: number): unknown },
  ): Promise<object> {
    const { customer, investorError } = await this.customers.create(parseCreateCustomer(body));
    if (investorError === undefined) return customer;
    if (!(investorError instanceof CashlinkError)) throw investorError;
    res.status(202);
    return { ...customer, investorError: { error: investorError.name, message: investorError.message } };
  }

  @Get()
  list(): Promise<Customer[]> {
    return this.customers.list();
  }

  @Get(':id')
  get(@Param('id', ParseUUIDPipe) id: string): Promise<Customer> {
    return this.customers.get(id);
  }

  /** Creates the investor if it is still missing: same customer id, same key, one investor at Cashlink. */
  @Post(':id/investor')
  ensureInvestor(@Param('id', ParseUUIDPipe) id: string): Promise<Customer> {
    return this.customers.ensureInvestor(id);
  }
}
