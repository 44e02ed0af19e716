import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { CashlinkHealthIndicators } from './cashlink.health';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly cashlink: CashlinkHealthIndicators,
  ) {}

  /** 200 when Cashlink's token endpoint answers (degraded details included), 503 otherwise. */
  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.cashlink.token(),
      () => this.cashlink.intentsBacklog(),
      () => this.cashlink.inbox(),
    ]);
  }
}
