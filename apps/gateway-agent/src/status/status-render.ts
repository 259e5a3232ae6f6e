import { table } from '../technician/output.js';
import type { AgentStatus, Liveness } from './agent-status.js';

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d > 0) return `${d}d ${h}h ${String(m).padStart(2, '0')}m`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function connectionLine(status: AgentStatus, now: number): string[] {
  const c = status.connection;
  const lines: string[] = [];
  if (c.connected && c.connectedSince !== undefined) {
    lines.push(
      `${c.brokerUrl}: connected since ${iso(c.connectedSince)} (${formatDuration((now - c.connectedSince) / 1000)})`,
    );
  } else {
    const what =
      c.state === 'connecting'
        ? 'connecting'
        : c.state === 'stopped'
          ? 'disconnected'
          : 'not connected, retrying';
    lines.push(`${c.brokerUrl}: ${what}`);
  }
  if (!c.connected && c.lastRefusal) {
    lines.push(
      `refused at ${iso(c.lastRefusal.at)}: ${c.lastRefusal.reason} (CONNACK ${c.lastRefusal.code}); ${c.lastRefusal.hint}`,
    );
  } else if (!c.connected && c.lastError) {
    lines.push(`last error: ${c.lastError}`);
  }
  lines.push(
    `${c.connects} connects, ${c.disconnects} disconnects, ${c.uplinksDelivered} uplinks delivered`,
  );
  return lines;
}

/** `gateway-agent status` for people: a headline that says whether the agent runs, then the details. */
export function renderStatus(
  status: AgentStatus | undefined,
  liveness: Liveness,
  now: number,
): string {
  if (!status) {
    return `gateway-agent: NOT RUNNING (${liveness.running ? 'no status' : liveness.detail})\n`;
  }
  const out: string[] = [];
  if (liveness.running) {
    out.push(
      `gateway-agent: running (pid ${status.pid}, up ${formatDuration(status.uptimeS)}, status from ${formatDuration((now - status.updatedAt) / 1000)} ago)`,
    );
  } else {
    out.push(`gateway-agent: NOT RUNNING (${liveness.detail})`);
    out.push('last known state:');
  }
  const section = (label: string, lines: string[]): void => {
    lines.forEach((line, i) => out.push(`${(i === 0 ? label : '').padEnd(11)}${line}`));
  };
  section('gateway', [
    `${status.gatewayId} (site ${status.siteId}, tenant ${status.tenantId}, ${status.lifecycle})`,
  ]);
  section('versions', [
    `agent ${status.agentVersion}, firmware ${status.firmwareVersion}, boot ${status.bootId}`,
  ]);
  section('broker', connectionLine(status, now));
  const cfg = status.config;
  const configLines =
    cfg.version === 0
      ? ['none yet (waiting for the control plane)']
      : [
          `version ${cfg.version}${cfg.source === 'stored' ? ' (from disk)' : ''}, ${cfg.devices} device${cfg.devices === 1 ? '' : 's'}, ${cfg.profiles} profile${cfg.profiles === 1 ? '' : 's'}${cfg.appliedAt === undefined ? '' : `, applied ${iso(cfg.appliedAt)}`}`,
        ];
  if (cfg.lastRejected && cfg.lastRejected.version > cfg.version) {
    configLines.push(
      `rejected version ${cfg.lastRejected.version} at ${iso(cfg.lastRejected.at)}: ${cfg.lastRejected.reason}`,
    );
  }
  section('config', configLines);
  section('outbox', [
    `${status.outbox.depth} waiting (${formatBytes(status.outbox.bytes)}), ${status.outbox.dropped} dropped when full`,
  ]);
  const t = status.telemetry;
  section('telemetry', [
    `${t.batchesPublished} batches, ${t.readingsPublished} readings queued for sending${t.readingsDropped > 0 ? `, ${t.readingsDropped} unsendable values dropped` : ''}${t.batchesLost > 0 ? `, ${t.batchesLost} batches lost` : ''}`,
  ]);
  const unsupported = Object.entries(status.downlinks.unsupported).filter(([, n]) => n > 0);
  if (unsupported.length > 0) {
    section('downlinks', [
      `unsupported and dropped: ${unsupported.map(([c, n]) => `${c} ${n}`).join(', ')}`,
    ]);
  }
  out.push('');
  if (status.buses.length > 0) {
    out.push(
      table([
        ['BUS', 'KIND', 'STATE', 'DEVICES', 'TX', 'ERRORS', 'QUEUE', 'LAST ERROR'],
        ...status.buses.map((b) => [
          b.id,
          b.kind,
          b.state,
          String(b.devices.length),
          String(b.transactions),
          String(b.errors),
          String(b.queueDepth),
          b.lastError ?? '',
        ]),
      ]),
    );
    out.push('');
  }
  if (status.devices.length > 0) {
    out.push(
      table([
        ['DEVICE', 'PROFILE', 'BUS', 'ADDRESS', 'HEALTH', 'LAST REPLY', 'LAST ERROR'],
        ...status.devices.map((d) => [
          d.id,
          d.profileId,
          d.busId ?? '-',
          d.address,
          d.health,
          d.lastSuccessAt === undefined
            ? '-'
            : `${formatDuration((now - d.lastSuccessAt) / 1000)} ago`,
          d.health === 'ok' ? '' : (d.lastError ?? ''),
        ]),
      ]),
    );
    out.push('');
  } else if (status.config.version > 0) {
    out.push('no enabled devices in this configuration');
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
