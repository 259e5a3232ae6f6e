// A private Mosquitto for one benchmark run: the shipped deploy/mosquitto/mosquitto.conf with its
// listener moved to 127.0.0.1:<random port> (never the machine's 1883), TLS off, persistence and the
// dynamic-security file in a temporary directory, seeded by the same bootstrap operators use. The
// control plane then points at it with MQTT_URL / MQTT_USERNAME / MQTT_PASSWORD and creates one
// dynsec client and role per gateway at enrollment, as in production.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { packageRoot, uuidv7 } from '@fleet/common';
import {
  buildDynsecBootstrap,
  DYNSEC_GATEWAY_ROLE_PREFIX,
  gatewayAcls,
  hashDynsecPassword,
} from '../../apps/control-plane/src/mqtt/dynsec-bootstrap.js';
import { MosquittoDynsecAdapter } from '../../apps/control-plane/src/mqtt/mosquitto-dynsec.adapter.js';
import { BenchError, freePort, onCleanup, processCpuSeconds, sleep } from './bench-kit.js';

export const MOSQUITTO_BINARY = process.env.BENCH_MOSQUITTO ?? '/usr/sbin/mosquitto';

export interface BenchMosquitto {
  url: string;
  port: number;
  /** The control plane's account (holds the dynsec admin role). */
  username: string;
  password: string;
  pid: number;
  dir: string;
  logFile: string;
  /** Size of dynamic-security.json now (Mosquitto rewrites all of it on every dynsec change). */
  dynsecBytes(): number;
  /** CPU seconds the broker used so far. */
  cpuSeconds(): number;
}

function renderConfig(shipped: string, dir: string, port: number): string {
  const lines = shipped
    .split('\n')
    .filter((line) => !/^(listener|certfile|keyfile|cafile|tls_version)\b/.test(line))
    .map((line) => {
      if (line.startsWith('plugin_opt_config_file '))
        return `plugin_opt_config_file ${join(dir, 'dynamic-security.json')}`;
      if (line.startsWith('persistence_location ')) return `persistence_location ${dir}/`;
      return line;
    });
  lines.push(`listener ${port} 127.0.0.1`);
  // Started as root, Mosquitto would switch to the mosquitto user, who cannot read our temp files.
  lines.push(`user ${userInfo().username}`);
  return `${lines.join('\n')}\n`;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

/** A gateway already enrolled, to write into dynamic-security.json before the broker starts. */
export interface DynsecGateway {
  gatewayId: string;
  password: string;
}

/**
 * Starts the broker and registers its stop and the removal of its files as cleanups. `gateways`
 * are written into the dynsec file up front, exactly as the control plane's createRole and
 * createClient would make them (same ACLs, username = client id = gateway id), in one write
 * instead of Mosquitto rewriting the whole file twice per gateway.
 */
export async function startBenchMosquitto(
  bench: string,
  gateways: readonly DynsecGateway[] = [],
): Promise<BenchMosquitto> {
  if (!existsSync(MOSQUITTO_BINARY))
    throw new BenchError(
      `--broker mosquitto needs ${MOSQUITTO_BINARY} (apt-get install mosquitto) or BENCH_MOSQUITTO=<path>`,
      2,
    );
  const dir = await mkdtemp(join(tmpdir(), `fleet-bench-${bench}-mosquitto-`));
  onCleanup(`mosquitto dir ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const username = 'fleet-control-plane';
  const password = randomBytes(18).toString('base64url');
  const dynsecFile = join(dir, 'dynamic-security.json');
  const dynsec = buildDynsecBootstrap({
    controlPlaneUsername: username,
    controlPlanePassword: password,
  });
  for (const g of gateways) {
    const rolename = `${DYNSEC_GATEWAY_ROLE_PREFIX}${g.gatewayId}`;
    dynsec.roles.push({
      rolename,
      textname: `gateway ${g.gatewayId}`,
      acls: gatewayAcls(g.gatewayId),
    });
    dynsec.clients.push({
      username: g.gatewayId,
      clientid: g.gatewayId,
      textname: `gateway ${g.gatewayId}`,
      ...hashDynsecPassword(g.password),
      roles: [{ rolename }],
    });
  }
  await writeFile(dynsecFile, JSON.stringify(dynsec), { mode: 0o600 });
  const shipped = await readFile(join(packageRoot(), 'deploy/mosquitto/mosquitto.conf'), 'utf8');
  const logDir = join(packageRoot(), 'bench-results', 'logs');
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${bench}-mosquitto.log`);

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await writeFile(join(dir, 'mosquitto.conf'), renderConfig(shipped, dir, port));
    const fd = openSync(logFile, 'w');
    const child = spawn(MOSQUITTO_BINARY, ['-c', join(dir, 'mosquitto.conf')], {
      stdio: ['ignore', 'ignore', fd],
    });
    closeSync(fd);
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        resolve();
      }),
    );
    const stop = async (): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    };
    const deadline = Date.now() + 10_000;
    while (child.exitCode === null && !(await listening(port))) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`mosquitto did not listen on ${port} within 10 s (see ${logFile})`);
      }
      await sleep(50);
    }
    // Something else answering on a port we just found free: our broker exits shortly after.
    await sleep(300);
    if (child.exitCode !== null) {
      const log = await readFile(logFile, 'utf8');
      // The random port was taken in between by someone else: try another.
      if (attempt < 3 && /Address already in use/.test(log)) continue;
      throw new Error(`mosquitto exited with ${child.exitCode}:\n${log.slice(-2_000)}`);
    }
    // Stopped before its directory is removed (cleanups run newest first).
    onCleanup('mosquitto', stop);
    const pid = child.pid ?? 0;
    return {
      url: `mqtt://127.0.0.1:${port}`,
      port,
      username,
      password,
      pid,
      dir,
      logFile,
      dynsecBytes: () => statSync(dynsecFile).size,
      cpuSeconds: () => processCpuSeconds(pid),
    };
  }
}

export interface DynsecProvisioning {
  gateways: number;
  /** Gateways in the dynsec file before the first of these was created. */
  existing: number;
  meanMs: number;
  maxMs: number;
}

/**
 * What one more enrollment costs on this broker now: `count` gateways created one after another
 * through the control plane's own dynsec adapter (createRole + createClient), timed, then deleted.
 */
export async function measureDynsecProvisioning(
  broker: BenchMosquitto,
  existing: number,
  count: number,
): Promise<DynsecProvisioning> {
  const adapter = new MosquittoDynsecAdapter({
    url: broker.url,
    username: broker.username,
    password: broker.password,
    requestTimeoutMs: 120_000,
  });
  await adapter.start();
  try {
    const times: number[] = [];
    const ids = Array.from({ length: count }, () => uuidv7());
    for (const id of ids) {
      const t = process.hrtime.bigint();
      await adapter.provisionGateway(id, randomBytes(18).toString('base64url'));
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    for (const id of ids) await adapter.revokeGateway(id);
    return {
      gateways: count,
      existing,
      meanMs: times.reduce((a, b) => a + b, 0) / times.length,
      maxMs: Math.max(...times),
    };
  } finally {
    await adapter.stop();
  }
}
