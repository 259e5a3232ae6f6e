/** Counters every simulated gateway adds to; the simulator prints them and benchmarks read them. */
export class FleetStats {
  connected = 0;
  connects = 0;
  disconnects = 0;
  dropouts = 0;
  connectFailures = 0;
  refusals = 0;
  telemetryBatches = 0;
  readings = 0;
  healthChanges = 0;
  heartbeats = 0;
  configsApplied = 0;
  configsRejected = 0;
  commandsReceived = 0;
  commandsDuplicate = 0;
  commandsSucceeded = 0;
  commandsFailed = 0;
  commandsTimedOut = 0;
  otaSucceeded = 0;
  otaFailed = 0;
  otaRolledBack = 0;
  otaCanceled = 0;
  invalidDownlinks = 0;
  outboxDropped = 0;
  publishFailures = 0;
  /** Uplinks the broker acknowledged. */
  delivered = 0;

  snapshot(): Record<string, number> {
    return Object.fromEntries(Object.entries(this).filter(([, v]) => typeof v === 'number'));
  }
}
