// A simulated fleet for the benchmarks: gateways enrolled through the real API (claims and
// enrollment: real per-gateway MQTT credentials), devices seeded in bulk, then the simulator's own
// entry point (startSimulatedFleet) runs them as real MQTT clients.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uuidv7 } from '@fleet/common';
import { planGatewayDevices, type DeviceSpec } from '../simulator/device-mix.js';
import { HttpFleetApi } from '../simulator/fleet-api.adapter.js';
import { provisionFleet } from '../simulator/fleet-provisioner.js';
import type { LinkConnector } from '../simulator/gateway-link.port.js';
import { IdentityStore, type SimulatedIdentity } from '../simulator/identity.store.js';
import { runLimited } from '../simulator/run-limited.js';
import type { SimLogger } from '../simulator/sim-logger.js';
import { startSimulatedFleet, type SimulatedFleet } from '../simulator/simulated-fleet.js';
import {
  parseSimulatorOptions,
  SIMULATOR_AGENT_VERSION,
  type RawSimulatorOptions,
} from '../simulator/simulator-options.js';
import { BenchApi, type BenchControlPlane, type BenchTenant, onCleanup } from './bench-kit.js';

export interface FleetPlan {
  gateways: number;
  devicesPerGateway: number;
  sites: string[];
  serialPrefix: string;
  firmwareVersion?: string;
  /** New MQTT connections per second while the fleet starts (each gets its configuration). */
  connectRate?: number;
  /** Enrollments in flight at once (default 16). */
  enrollConcurrency?: number;
}

export interface SeededFleet {
  identities: SimulatedIdentity[];
  stateFile: string;
  /** Seconds spent enrolling and seeding (not part of any figure). */
  seconds: number;
}

/** Where the device answers on its gateway, as the registry computes it (unique per gateway). */
function addressKeyOf(spec: DeviceSpec, id: string): string {
  const c = spec.connection;
  switch (c.kind) {
    case 'modbus-rtu':
      return `rtu:${c.bus}:${c.unitId}`;
    case 'modbus-tcp':
      return `tcp:${c.host}:${c.port}:${c.unitId}`;
    case 'serial':
      return `serial:${c.bus}:${c.address}`;
    case 'gpio':
      return `gpio:${id}`;
  }
}

/**
 * Enrolls the gateways through the API (a claim each, then the enrollment API), registers each
 * gateway's first device through the API, inserts the rest of its planned devices straight into
 * Postgres (the registry API has no bulk endpoint, and 100,000 single POSTs would take longer than
 * the benchmark), then touches the first device of every gateway through the API so the control
 * plane pushes each gateway its complete configuration, as it would after any device change.
 */
export async function seedFleet(
  cp: BenchControlPlane,
  tenant: BenchTenant,
  plan: FleetPlan,
  logger: SimLogger,
): Promise<SeededFleet> {
  const started = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'fleet-bench-ids-'));
  onCleanup(`identities ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const stateFile = join(dir, 'identities.json');
  // The tenant user's token names the tenant, as the simulator CLI is run with it.
  const store = await IdentityStore.open(stateFile, cp.url, undefined);
  const provisioned = await provisionFleet(
    new HttpFleetApi({ server: cp.url, token: tenant.tokens.technician, logger }),
    store,
    {
      gateways: plan.gateways,
      devicesPerGateway: Math.min(1, plan.devicesPerGateway),
      sites: plan.sites,
      serialPrefix: plan.serialPrefix,
      model: 'rpi4',
      hardwareRevision: '1.4',
      firmwareVersion: plan.firmwareVersion ?? '1.0.0',
      agentVersion: SIMULATOR_AGENT_VERSION,
      enrollConcurrency: plan.enrollConcurrency ?? 16,
      registerConcurrency: 16,
    },
    logger,
  );
  const identities = provisioned.identities;
  if (plan.devicesPerGateway > 1) {
    const rows: {
      id: string;
      gatewayId: string;
      spec: DeviceSpec;
    }[] = [];
    for (const identity of identities) {
      for (const spec of planGatewayDevices(identity.serialNumber, plan.devicesPerGateway)) {
        if (identity.devices[spec.key] !== undefined) continue;
        const id = uuidv7();
        identity.devices[spec.key] = id;
        rows.push({ id, gatewayId: identity.gatewayId, spec });
      }
      store.put(identity);
    }
    logger.info(`inserting ${rows.length} devices into Postgres`);
    const chunk = 5_000;
    for (let i = 0; i < rows.length; i += chunk) {
      const part = rows.slice(i, i + chunk);
      await cp.db.pool.query(
        `insert into devices (id, tenant_id, gateway_id, name, profile_id, connection, address_key, tags)
         select id, $1, gateway_id, name, profile_id, connection, address_key, tags
         from jsonb_to_recordset($2::jsonb) as r(id uuid, gateway_id uuid, name text, profile_id text,
           connection jsonb, address_key text, tags text[])`,
        [
          tenant.id,
          JSON.stringify(
            part.map((r) => ({
              id: r.id,
              gateway_id: r.gatewayId,
              name: r.spec.name,
              profile_id: r.spec.profileId,
              connection: r.spec.connection,
              address_key: addressKeyOf(r.spec, r.id),
              tags: r.spec.tags,
            })),
          ),
        ],
      );
    }
    await store.save();
    logger.info('pushing every gateway its configuration (one device update each)');
    const technician = new BenchApi(cp.url).as(tenant.tokens.technician);
    await runLimited(identities, 16, async (identity) => {
      const first = identity.devices.meter;
      if (!first) return;
      await technician.expect('PATCH', `/api/v1/devices/${first}`, [200], {
        tags: ['simulated', 'meter'],
      });
    });
  }
  return { identities, stateFile, seconds: (Date.now() - started) / 1000 };
}

/**
 * Starts the seeded gateways through the simulator's entry point (it finds every identity cached
 * and registers nothing), waits until all are connected, and stops them when the benchmark ends.
 */
export async function startFleet(
  cp: BenchControlPlane,
  tenant: BenchTenant,
  seeded: SeededFleet,
  plan: FleetPlan,
  raw: RawSimulatorOptions,
  logger: SimLogger,
  connector?: LinkConnector,
): Promise<SimulatedFleet> {
  const options = parseSimulatorOptions({
    server: cp.url,
    token: tenant.tokens.technician,
    gateways: String(plan.gateways),
    devicesPerGateway: String(plan.devicesPerGateway),
    sites: plan.sites.join(','),
    stateFile: seeded.stateFile,
    serialPrefix: plan.serialPrefix,
    firmwareVersion: plan.firmwareVersion ?? '1.0.0',
    connectRate: String(plan.connectRate ?? 50),
    statsSeconds: '0',
    ...raw,
  });
  const fleet = await startSimulatedFleet(options, logger, connector ? { connector } : {});
  onCleanup('simulated gateways', () => fleet.stop());
  const connected = await fleet.simulator.waitUntilConnected(
    60_000 + ((plan.gateways * 3) / (plan.connectRate ?? 50)) * 1000,
  );
  if (!connected)
    throw new Error(
      `only ${fleet.simulator.stats.connected}/${plan.gateways} simulated gateways connected`,
    );
  return fleet;
}
