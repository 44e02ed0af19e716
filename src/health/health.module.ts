import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CashlinkHealthIndicators } from './cashlink.health';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot()],
  controllers: [HealthController],
  providers: [CashlinkHealthIndicators],
})
export class HealthModule {}
