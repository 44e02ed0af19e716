import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import fastifyMultipart from '@fastify/multipart';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { CashlinkExceptionFilter } from './common/cashlink-exception.filter';
import { DEMO_SETTINGS } from './config/demo-config.module';
import { scenarioEnabled, type DemoSettings } from './config/demo-settings';
import { EmbeddedCashlink } from './config/embedded-cashlink';
import { DEMO_OPS_PASSWORD } from './ops/demo-ops.guard';
import { MAX_DOCUMENT_BYTES } from './documents/document-upload.interceptor';
import { ScenarioService } from './scenario/scenario.service';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Nest's start-up chatter stays off unless asked for: DEMO_LOG_LEVEL=log (or debug, verbose). */
function logLevels(level = 'warn'): LogLevel[] {
  const index = LEVELS.indexOf(level as LogLevel);
  return LEVELS.slice(0, index < 0 ? 3 : index + 1);
}

const out = (text = ''): void => {
  process.stdout.write(`${text}\n`);
};

/** The HTTP platform: DEMO_PLATFORM=express (the default) or fastify; the app is the same on both. */
async function createApp(platform = 'express'): Promise<INestApplication> {
  const options = {
    logger: logLevels(process.env.DEMO_LOG_LEVEL),
    // A failing start-up reaches our catch below (one readable line) instead of exiting inside Nest.
    abortOnError: false,
  };
  if (platform === 'express') return NestFactory.create(AppModule, options);
  if (platform !== 'fastify') throw new Error(`DEMO_PLATFORM must be express or fastify, not '${platform}'`);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), options);
  // Multipart bodies for POST /documents (Express reads them with multer, in the controller's interceptor).
  await app.register(fastifyMultipart, { limits: { fileSize: MAX_DOCUMENT_BYTES, files: 1 } });
  return app;
}

async function bootstrap(): Promise<void> {
  const runScenario = scenarioEnabled(process.argv.slice(2), process.env);
  const app = await createApp(process.env.DEMO_PLATFORM);
  app.useGlobalFilters(new CashlinkExceptionFilter());
  app.enableShutdownHooks();
  const settings = app.get<DemoSettings>(DEMO_SETTINGS);
  const embedded = app.get(EmbeddedCashlink);

  try {
    await app.listen(settings.port, settings.host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(
        `Port ${settings.port} is in use: start with PORT=<another port> (PORT=0 picks a free one).\n`,
      );
      await app.close();
      process.exit(1);
    }
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const webhookUrl = `${url}/${settings.webhookPath}`;
  embedded.connectWebhooks(webhookUrl);

  out(`nestjs-cashlink demo listening on ${url}`);
  out(
    embedded.emulator !== null
      ? `  Cashlink: the local emulator at ${embedded.emulator.baseUrl} (no account needed); its webhooks go to ${webhookUrl}`
      : `  Cashlink: ${settings.cashlink.mode === 'remote' ? (settings.cashlink.baseUrl ?? settings.cashlink.environment) : ''}; give Cashlink the webhook URL ${settings.publicUrl ?? url}/${settings.webhookPath}`,
  );
  out(
    `  Database: ${settings.databaseUrl !== undefined ? 'PostgreSQL (DATABASE_URL)' : `SQLite ${settings.dataDir}/demo.sqlite`}; migrations applied`,
  );

  if (runScenario) {
    try {
      await app.get(ScenarioService).run(url);
    } catch (error) {
      out(`Scenario failed: ${(error as Error).message}`);
      process.exitCode = 1;
    }
  }

  out('');
  out(`Serving on ${url} (Ctrl+C to stop). Try:`);
  out(`  curl ${url}/health`);
  out(`  open ${url}/ops   (the ops page; user ops, password ${app.get<string>(DEMO_OPS_PASSWORD)})`);
  out(`  npm run cashlink -- status   (the operators' CLI, on this app's configuration)`);
  out(`  curl ${url}/subscriptions`);
  out(
    `  curl -X POST ${url}/customers -H 'content-type: application/json' -d '{"forename":"Max","surname":"Muster","email":"max@example.com"}'`,
  );
  out(`  curl -X POST ${url}/documents -F file=@/path/to/signed-form.pdf`);
  out(
    `  curl -X POST ${url}/subscriptions -H 'content-type: application/json' -d '{"customerId":"<customer id>","campaignId":"<campaign id>","units":10}'`,
  );
  out(`  curl ${url}/campaigns`);
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `The demo could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
