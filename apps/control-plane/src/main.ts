import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { packageRoot } from '@fleet/common';

@Controller()
class HelloController {
  @Get('health')
  health(): { status: string; root: string } {
    return { status: 'ok', root: packageRoot() };
  }
}
@Module({ controllers: [HelloController] })
class AppModule {}

const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter());
await app.listen(3999, '127.0.0.1');
console.log('listening');
