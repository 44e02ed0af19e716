import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CASHLINK_LIBRARY_NAME } from 'nestjs-cashlink';

@Module({})
class AppModule {}

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  process.stdout.write(`demo using ${CASHLINK_LIBRARY_NAME} listening on ${await app.getUrl()}\n`);
}
void bootstrap();
