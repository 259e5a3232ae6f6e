import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import {
  createSimDevice,
  startSimulatedModbusTcpServer,
  type SimDevice,
  type SimulatedModbusTcpServer,
} from '@fleet/devsim';
import { loadProfileCatalog, resolveCommand } from '@fleet/profiles';
import { ManagedProcess, runNodeCommand } from './child-process.adapter.js';
import type { JsonApi } from './json-api.adapter.js';

export const AGENT_SERIAL = 'DN-AGENT-0001';
export const AGENT_SITE = 'dn-haichau';

/**
 * What the real agent's cabinet holds, each a unit behind one simulated Modbus TCP server (only
 * profiles with a modbus-tcp transport: the DALI gateway speaks RTU alone).
 */
const AGENT_DEVICES = [
  {
    unitId: 1,
    profileId: 'streetlight-controller',
    name: 'Bạch Đằng street light 1',
    tags: ['streetlight', 'agent'],
  },
  {
    unitId: 2,
    profileId: 'streetlight-controller',
    name: 'Bạch Đằng street light 2',
    tags: ['streetlight', 'agent'],
  },
  {
    unitId: 10,
    profileId: 'eastron-sdm630',
    name: 'Bạch Đằng cabinet meter',
    tags: ['meter', 'agent'],
  },
  {
    unitId: 11,
    profileId: 'eastron-sdm120',
    name: 'Bạch Đằng kiosk meter',
    tags: ['meter', 'agent'],
  },
] as const;

export interface DemoAgent {
  gatewayId: string;
  process: ManagedProcess;
  modbus: SimulatedModbusTcpServer;
  deviceIds: string[];
  stop(): Promise<void>;
}

export interface DemoAgentOptions {
  api: JsonApi;
  serverUrl: string;
  adminToken: string;
  tenant: string;
  /** A technician's token: enrollment starts with a claim a technician makes. */
  technicianToken: () => Promise<string>;
  stateDir: string;
  logFile: string;
  isDark: (epochMs: number) => boolean;
}

/**
 * One real `gateway-agent` process, enrolled once with a technician's claim (like in the field),
 * polling simulated devices over real Modbus TCP. Its devices are registered through the API with
 * the Modbus server's port of this run (updated when it changed since the last run).
 */
export async function startDemoAgent(options: DemoAgentOptions): Promise<DemoAgent> {
  const catalog = await loadProfileCatalog();
  const units = new Map<number, SimDevice>();
  for (const d of AGENT_DEVICES) {
    const profile = catalog.get(d.profileId);
    const device = createSimDevice(profile, { seed: 1000 + d.unitId });
    if (d.profileId === 'streetlight-controller' && options.isDark(Date.now())) {
      for (const op of resolveCommand(profile, 'switchOn', {}))
        if (op.kind === 'modbus-write' && op.table === 'coil')
          device.writeCoils(
            op.address,
            op.values.map((v) => v === true || v === 1),
          );
    }
    units.set(d.unitId, device);
  }
  const modbus = await startSimulatedModbusTcpServer({
    host: '127.0.0.1',
    port: 0,
    devices: units,
  });
  const bin = join(packageRoot(), 'bin', 'gateway-agent.js');
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    GATEWAY_AGENT_SERIAL_NUMBER: AGENT_SERIAL,
    GATEWAY_AGENT_MODEL: 'rpi4',
    GATEWAY_AGENT_HARDWARE_REVISION: '1.4',
    GATEWAY_AGENT_LOG_LEVEL: 'info',
    GATEWAY_AGENT_OUTBOX_FSYNC: 'false',
  };
  try {
    const gatewayId = await enrollOnce(options, bin, env);
    const deviceIds = await registerAgentDevices(options, gatewayId, modbus.port);
    const child = await ManagedProcess.start({
      name: 'gateway-agent',
      args: [bin, 'run', '--state-dir', options.stateDir],
      env,
      logFile: options.logFile,
    });
    return {
      gatewayId,
      process: child,
      modbus,
      deviceIds,
      stop: async () => {
        await child.stop(15_000);
        await modbus.close();
      },
    };
  } catch (error) {
    await modbus.close();
    throw error;
  }
}

async function enrollOnce(
  options: DemoAgentOptions,
  bin: string,
  env: Record<string, string>,
): Promise<string> {
  const identityFile = join(options.stateDir, 'identity.json');
  const stored = await readFile(identityFile, 'utf8').catch(() => undefined);
  if (stored !== undefined) {
    const identity = JSON.parse(stored) as { gatewayId?: unknown; server?: unknown };
    const known = await options.api
      .as(options.adminToken, options.tenant)
      .get(`/api/v1/gateways/${String(identity.gatewayId)}`);
    if (typeof identity.gatewayId === 'string' && known.status === 200) return identity.gatewayId;
  }
  const technician = options.api.as(await options.technicianToken(), options.tenant);
  const claim = await technician.expect<{ code: string }>(
    'POST',
    `/api/v1/sites/${AGENT_SITE}/claims`,
    [201],
    {},
  );
  const enrolled = await runNodeCommand(
    [
      bin,
      'enroll',
      '--server',
      options.serverUrl,
      '--claim',
      claim.body.code,
      '--state-dir',
      options.stateDir,
      '--force',
    ],
    env,
    60_000,
  );
  if (enrolled.code !== 0)
    throw new Error(
      `gateway-agent enroll failed (code ${String(enrolled.code)}): ${enrolled.stderr || enrolled.stdout}`,
    );
  const identity = JSON.parse(await readFile(identityFile, 'utf8')) as { gatewayId: string };
  return identity.gatewayId;
}

async function registerAgentDevices(
  options: DemoAgentOptions,
  gatewayId: string,
  port: number,
): Promise<string[]> {
  const admin = options.api.as(options.adminToken, options.tenant);
  const listed = await admin.expect<{
    items: { id: string; name: string; connection: { port?: number } }[];
  }>('GET', `/api/v1/gateways/${gatewayId}/devices?limit=500`, [200]);
  const ids: string[] = [];
  for (const d of AGENT_DEVICES) {
    const connection = { kind: 'modbus-tcp', host: '127.0.0.1', port, unitId: d.unitId };
    const existing = listed.body.items.find((x) => x.name === d.name);
    if (!existing) {
      const created = await admin.expect<{ id: string }>(
        'POST',
        `/api/v1/gateways/${gatewayId}/devices`,
        [201],
        {
          name: d.name,
          profileId: d.profileId,
          connection,
          tags: [...d.tags],
        },
      );
      ids.push(created.body.id);
      continue;
    }
    // The simulated Modbus server listens on a new port each run.
    if (existing.connection.port !== port)
      await admin.expect('PATCH', `/api/v1/devices/${existing.id}`, [200], { connection });
    ids.push(existing.id);
  }
  return ids;
}
