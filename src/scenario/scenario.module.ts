import { Module } from '@nestjs/common';
import { CustomersModule } from '../customers/customers.module';
import { ScenarioService } from './scenario.service';

@Module({ imports: [CustomersModule], providers: [ScenarioService], exports: [ScenarioService] })
export class ScenarioModule {}
