import { readFile } from 'node:fs/promises';
import { trustedKey, type TrustedKey } from '@fleet/firmware';
import { HttpFleetApi, type FleetApi } from './fleet-api.adapter.js';
import { provisionFleet, type ProvisionReport } from './fleet-provisioner.js';
import { FleetSimulator } from './fleet-simulator.js';
import type { LinkConnector } from './gateway-link.port.js';
import { IdentityStore } from './identity.store.js';
import type { SimLogger } from './sim-logger.js';
import type { SimulatorOptions } from './simulator-options.js';
import { SimulatorError } from './simulator.error.js';

export interface SimulatedFleet {
  simulator: FleetSimulator;
  provisioning: ProvisionReport;
  stop(): Promise<void>;
}

export interface SimulatedFleetExtras {
  api?: FleetApi;
  connector?: LinkConnector;
}

/**
 * Enrolls (or reuses) the simulated gateways and their devices, then starts them all. What the
 * simulator CLI runs, and what the demo, the benchmarks and the tests embed.
 */
export async function startSimulatedFleet(
  options: SimulatorOptions,
  logger: SimLogger,
  extras: SimulatedFleetExtras = {},
): Promise<SimulatedFleet> {
  const trustedKeys = await loadReleaseKeys(options.releaseKeyFiles);
  const store = await IdentityStore.open(options.stateFile, options.server, options.tenant);
  const api =
    extras.api ??
    new HttpFleetApi({
      server: options.server,
      token: options.token,
      ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
      logger,
    });
  const provisioning = await provisionFleet(
    api,
    store,
    {
      gateways: options.gateways,
      devicesPerGateway: options.devicesPerGateway,
      sites: options.sites,
      serialPrefix: options.serialPrefix,
      model: options.model,
      hardwareRevision: options.hardwareRevision,
      firmwareVersion: options.firmwareVersion,
      agentVersion: options.agentVersion,
      enrollConcurrency: options.enrollConcurrency,
      registerConcurrency: options.registerConcurrency,
    },
    logger,
  );
  const simulator = new FleetSimulator(provisioning.identities, {
    settings: {
      model: options.model,
      hardwareRevision: options.hardwareRevision,
      firmwareVersion: options.firmwareVersion,
      agentVersion: options.agentVersion,
      heartbeatMs: options.heartbeatMs,
      batchMs: options.batchMs,
      pollScale: options.pollScale,
      readingHeartbeatMs: options.readingHeartbeatMs,
      faults: options.faults,
      faultLength: options.faultLength,
      dropoutMs: options.dropoutMs,
      ota: options.ota,
      ...(options.mqttUrl === undefined ? {} : { mqttUrl: options.mqttUrl }),
    },
    connectRate: options.connectRate,
    seed: options.seed,
    trustedKeys,
    timeZone: options.timeZone,
    logger,
    ...(extras.connector ? { connector: extras.connector } : {}),
  });
  await simulator.start();
  return { simulator, provisioning, stop: () => simulator.stop() };
}

async function loadReleaseKeys(files: readonly string[]): Promise<TrustedKey[]> {
  const keys: TrustedKey[] = [];
  for (const file of files) {
    try {
      keys.push(trustedKey(await readFile(file, 'utf8')));
    } catch (error) {
      throw SimulatorError.invalidOptions([
        { field: '--release-key', reason: `${file}: ${(error as Error).message}` },
      ]);
    }
  }
  return keys;
}
