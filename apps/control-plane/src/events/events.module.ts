import { Global, Module } from '@nestjs/common';
import { EventBusAdapter } from './event-bus.adapter.js';
import { FleetEvents } from './fleet-events.service.js';

@Global()
@Module({
  providers: [EventBusAdapter, FleetEvents],
  exports: [FleetEvents],
})
export class EventsModule {}
