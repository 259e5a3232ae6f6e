import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadAgentConfig } from '../agent/agent-config.js';
import { AgentError } from '../agent/agent.error.js';
import { runningAgentPid } from '../agent/run-lock.js';
import { agentVersion, firmwareVersion } from '../identity/agent-version.js';
import { detectDeviceIdentity } from '../identity/device-identity.js';
import { IdentityStore } from '../identity/identity.store.js';
import { CONFIG_FILE } from '../runtime/config.store.js';
import { STATUS_FILE } from '../status/agent-status.js';
import { EnrollmentService } from './enrollment.service.js';
import { HttpEnrollmentApi } from './http-enrollment-api.adapter.js';

interface EnrollFlags {
  server: string;
  claim: string;
  stateDir?: string;
  force?: boolean;
  serial?: string;
  model?: string;
  hardwareRevision?: string;
  timeout: string;
  json?: boolean;
}

export function registerEnrollCommand(program: Command): void {
  program
    .command('enroll')
    .description('enroll this gateway with the control plane using a claim code')
    .requiredOption('--server <url>', 'control plane base URL, e.g. https://fleet.example.org')
    .requiredOption(
      '--claim <code>',
      'claim code from the technician app or fleetctl (XXXX-XXXX-XXXX)',
    )
    .option(
      '--state-dir <dir>',
      'state directory (default: $GATEWAY_AGENT_STATE_DIR, /var/lib/gateway-agent as root)',
    )
    .option(
      '--force',
      'replace an existing identity (its stored config and unsent outbox are discarded)',
    )
    .option('--serial <serial>', 'serial number to report instead of the detected one')
    .option('--model <model>', 'model to report instead of the detected one (e.g. rpi4)')
    .option('--hardware-revision <rev>', 'hardware revision to report instead of the detected one')
    .option('--timeout <ms>', 'deadline for the request', '15000')
    .option('--json', 'print the result as JSON')
    .action(async (flags: EnrollFlags) => {
      const overrides: {
        stateDir?: string;
        serialNumber?: string;
        model?: string;
        hardwareRevision?: string;
      } = {};
      if (flags.stateDir !== undefined) overrides.stateDir = flags.stateDir;
      if (flags.serial !== undefined) overrides.serialNumber = flags.serial;
      if (flags.model !== undefined) overrides.model = flags.model;
      if (flags.hardwareRevision !== undefined) overrides.hardwareRevision = flags.hardwareRevision;
      const config = loadAgentConfig(process.env, overrides);
      const timeoutMs = Number(flags.timeout);
      if (!/^\d+$/.test(flags.timeout) || timeoutMs < 100 || timeoutMs > 300_000) {
        throw new AgentError(
          'CONFIG_INVALID',
          `--timeout: must be 100..300000 ms, got "${flags.timeout}"`,
        );
      }
      const stateDir = config.stateDir;
      const service = new EnrollmentService({
        api: new HttpEnrollmentApi(),
        store: new IdentityStore(stateDir),
        detectIdentity: () => detectDeviceIdentity({ overrides: config.identity }),
        agentVersion: agentVersion(),
        firmwareVersion: firmwareVersion(config),
        runningAgentPid: () => runningAgentPid(stateDir),
        discardGatewayState: async () => {
          for (const name of [CONFIG_FILE, STATUS_FILE, 'outbox']) {
            await rm(join(stateDir, name), { recursive: true, force: true });
          }
        },
      });
      const outcome = await service.enroll({
        server: flags.server,
        claim: flags.claim,
        force: flags.force === true,
        timeoutMs,
      });
      const { identity, device } = outcome;
      if (flags.json) {
        const { mqtt, ...rest } = identity;
        process.stdout.write(
          `${JSON.stringify({ ...rest, mqtt: { url: mqtt.url, username: mqtt.username, clientId: mqtt.clientId }, identityFile: join(stateDir, 'identity.json'), replaced: outcome.replaced ?? null }, null, 2)}\n`,
        );
        return;
      }
      const lines = [
        `enrolled: gateway ${identity.gatewayId} (site ${identity.siteId}, tenant ${identity.tenantId})`,
        `  reported serial ${device.serialNumber} (${device.sources.serialNumber}), model ${device.model} (${device.sources.model}), hardware ${device.hardwareRevision} (${device.sources.hardwareRevision})`,
        `  broker ${identity.mqtt.url}; credentials stored in ${join(stateDir, 'identity.json')} (mode 0600)`,
      ];
      if (outcome.replaced !== undefined)
        lines.push(`  replaced the previous identity ${outcome.replaced}`);
      lines.push(
        identity.lifecycle === 'pending'
          ? '  lifecycle: pending — an operator must approve this gateway; the agent keeps retrying until then'
          : `  lifecycle: ${identity.lifecycle}`,
      );
      lines.push('next: sudo systemctl enable --now gateway-agent   (or: gateway-agent run)');
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
