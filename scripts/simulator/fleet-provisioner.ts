import { planGatewayDevices } from './device-mix.js';
import type { FleetApi } from './fleet-api.adapter.js';
import type { IdentityStore, SimulatedIdentity } from './identity.store.js';
import { runLimited } from './run-limited.js';
import type { SimLogger } from './sim-logger.js';
import { SimulatorError } from './simulator.error.js';

export interface ProvisionPlan {
  gateways: number;
  devicesPerGateway: number;
  sites: readonly string[];
  serialPrefix: string;
  model: string;
  hardwareRevision: string;
  firmwareVersion: string;
  agentVersion: string;
  enrollConcurrency: number;
  registerConcurrency: number;
}

export interface ProvisionReport {
  identities: SimulatedIdentity[];
  enrolled: number;
  reused: number;
  devicesRegistered: number;
}

/** Serial numbers of the simulated gateways: `<prefix>-0001`, ... (zero-padded to a common width). */
export function simulatedSerials(prefix: string, count: number): string[] {
  const width = Math.max(4, String(count).length);
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i + 1).padStart(width, '0')}`);
}

/**
 * Makes sure every simulated gateway is enrolled (a claim per gateway, then the real enrollment
 * API) and has its planned devices in the registry. Whatever the store already holds, and still
 * exists on the server, is reused; progress is saved as it goes, so an interrupted run resumes.
 */
export async function provisionFleet(
  api: FleetApi,
  store: IdentityStore,
  plan: ProvisionPlan,
  logger: SimLogger,
): Promise<ProvisionReport> {
  const missingSites: string[] = [];
  await runLimited(plan.sites, 8, async (site) => {
    if (!(await api.siteExists(site))) missingSites.push(site);
  });
  if (missingSites.length > 0) {
    throw new SimulatorError(
      'SITE_NOT_FOUND',
      `--sites: ${missingSites.join(', ')} not found in the tenant; create ${missingSites.length === 1 ? 'it' : 'them'} first (POST /api/v1/sites)`,
      missingSites.map((s) => ({ field: '--sites', reason: `site ${s} does not exist` })),
      'not_found',
    );
  }

  const serials = simulatedSerials(plan.serialPrefix, plan.gateways);
  const cached = serials.filter((s) => store.get(s) !== undefined);
  let stale = 0;
  await runLimited(cached, 16, async (serial) => {
    const identity = store.get(serial);
    if (identity && !(await api.gatewayExists(identity.gatewayId))) {
      store.remove(serial);
      stale += 1;
    }
  });
  if (stale > 0)
    logger.warn(
      `${stale} cached gateway identities are unknown to the server; enrolling them again`,
    );

  const toEnroll = serials.filter((s) => store.get(s) === undefined);
  const reused = serials.length - toEnroll.length;
  if (toEnroll.length > 0)
    logger.info(`enrolling ${toEnroll.length} gateways (${reused} already enrolled)`);
  const progress = progressLogger(logger, 'enrolled', toEnroll.length);
  await runLimited(toEnroll, plan.enrollConcurrency, async (serial) => {
    const index = serials.indexOf(serial);
    const siteId = plan.sites[index % plan.sites.length] ?? '';
    const claimCode = await api.createClaim(siteId);
    const enrolled = await api.enroll({
      claimCode,
      serialNumber: serial,
      model: plan.model,
      hardwareRevision: plan.hardwareRevision,
      agentVersion: plan.agentVersion,
      firmwareVersion: plan.firmwareVersion,
    });
    if (enrolled.lifecycle !== 'active') {
      logger.warn(`${serial} enrolled as ${enrolled.lifecycle}; it connects once approved`);
    }
    store.put({
      serialNumber: serial,
      gatewayId: enrolled.gatewayId,
      siteId: enrolled.siteId,
      mqtt: {
        url: enrolled.mqtt.url,
        username: enrolled.mqtt.username,
        password: enrolled.mqtt.password,
        clientId: enrolled.mqtt.clientId,
      },
      devices: {},
    });
    if (progress.step() % 25 === 0) await store.save();
  });
  await store.save();

  const identities = serials
    .map((s) => store.get(s))
    .filter((i): i is SimulatedIdentity => i !== undefined);
  const wanted = identities.map((identity) => ({
    identity,
    missing: planGatewayDevices(identity.serialNumber, plan.devicesPerGateway).filter(
      (spec) => identity.devices[spec.key] === undefined,
    ),
  }));
  const total = wanted.reduce((n, w) => n + w.missing.length, 0);
  let registered = 0;
  if (total > 0) {
    logger.info(
      `registering ${total} devices through the API (one request each; see the report's bulk endpoint request)`,
    );
    const deviceProgress = progressLogger(logger, 'devices registered', total);
    await runLimited(
      wanted.filter((w) => w.missing.length > 0),
      plan.registerConcurrency,
      async ({ identity, missing }) => {
        // A run interrupted between the request and the save registered some already: match by name.
        const existing = new Map(
          (await api.listDevices(identity.gatewayId)).map((d) => [d.name, d.id]),
        );
        for (const spec of missing) {
          const id =
            existing.get(spec.name) ?? (await api.createDevice(identity.gatewayId, spec)).id;
          identity.devices[spec.key] = id;
          registered += 1;
          if (deviceProgress.step() % 500 === 0) {
            store.put(identity);
            await store.save();
          }
        }
        store.put(identity);
      },
    );
    await store.save();
  }
  return { identities, enrolled: toEnroll.length, reused, devicesRegistered: registered };
}

function progressLogger(logger: SimLogger, what: string, total: number): { step(): number } {
  let done = 0;
  let lastLog = Date.now();
  return {
    step() {
      done += 1;
      if (done === total || Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        logger.info(`${what} ${done}/${total}`);
      }
      return done;
    },
  };
}
