// The operators' CLI of the demo: `npm run cashlink -- <command>` (e.g. `status`, `intents list --state expired`).
// It boots the demo's own AppModule, so that it works on the same DataSource, Cashlink settings and keys
// as the server, and adds the library's commands to it.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { CashlinkCommandsModule, runCashlinkCli } from 'nestjs-cashlink/ops';
import { AppModule } from './app.module';

@Module({ imports: [AppModule, CashlinkCommandsModule] })
class CliModule {}

void runCashlinkCli(CliModule);
