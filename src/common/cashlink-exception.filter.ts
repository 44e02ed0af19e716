import { Catch, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import {
  CashlinkApiError,
  CashlinkError,
  CashlinkNotFoundError,
  CashlinkValidationError,
  IdempotencyConflictError,
} from 'nestjs-cashlink';

/** What Express's response and Fastify's reply both offer: `status(code).send(object)` answers JSON. */
interface AnswerableResponse {
  status(code: number): { send(body: unknown): unknown };
}

/**
 * The edge where the library's errors become HTTP answers of the demo's API. Cashlink's validation errors
 * are the caller's problem (422 with the field errors); anything else from Cashlink is a bad gateway.
 * Messages of the library's errors carry no secrets or personal data, so they can be shown.
 */
@Catch(CashlinkError)
export class CashlinkExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Cashlink');

  catch(error: CashlinkError, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<AnswerableResponse>();
    let status: number = HttpStatus.BAD_GATEWAY;
    const body: Record<string, unknown> = { error: error.name, message: error.message };
    if (error instanceof CashlinkValidationError) {
      status = HttpStatus.UNPROCESSABLE_ENTITY;
      body.fieldErrors = error.fieldErrors;
    } else if (error instanceof CashlinkNotFoundError) {
      status = HttpStatus.NOT_FOUND;
    } else if (error instanceof IdempotencyConflictError) {
      status = HttpStatus.CONFLICT;
    }
    if (error instanceof CashlinkApiError) {
      body.cashlinkStatus = error.status;
      body.requestId = error.requestId;
    }
    if (status === HttpStatus.BAD_GATEWAY) this.logger.warn(`${error.name}: ${error.message}`);
    response.status(status).send(body);
  }
}
