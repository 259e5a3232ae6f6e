import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '@fleet/common';
import type { AgentConfig } from '../agent/agent-config.js';

let cached: string | undefined;

/** The agent's release version: the `version` of the package it runs from. */
export function agentVersion(): string {
  if (cached) return cached;
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  cached = typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  return cached;
}

/**
 * The firmware version the gateway reports: an explicit override, else the version of the A/B
 * slot the supervisor started (the agent bundle is the firmware), else the agent's own version.
 */
export function firmwareVersion(config: Pick<AgentConfig, 'identity' | 'slotVersion'>): string {
  return config.identity.firmwareVersion ?? config.slotVersion ?? agentVersion();
}
