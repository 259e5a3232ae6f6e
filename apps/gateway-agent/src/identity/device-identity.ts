import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { IdentityOverrides } from '../agent/agent-config.js';
import { AgentError } from '../agent/agent.error.js';

/** What a gateway says about itself when it enrolls. */
export interface DeviceIdentity {
  serialNumber: string;
  model: string;
  hardwareRevision: string;
  /** Where each value came from (a file, `override`, or `fallback`), for the technician's output. */
  sources: { serialNumber: string; model: string; hardwareRevision: string };
}

export interface DetectOptions {
  /** Root of the file system to read (`/`); tests pass a fake tree. */
  root?: string;
  /** `process.arch` (x64, arm64, ...). */
  arch?: string;
  overrides?: IdentityOverrides;
}

const SERIAL_CHARS = /[^A-Za-z0-9._:-]/g;

async function readText(path: string): Promise<string | undefined> {
  try {
    // Device-tree strings end with a NUL byte.
    return (await readFile(path, 'utf8')).replace(/\0/g, '').trim();
  } catch {
    return undefined;
  }
}

/** A serial number as the enrollment contract accepts it; all-zero serials mean "none". */
function cleanSerial(raw: string | undefined): string | undefined {
  const value = raw?.trim().replace(SERIAL_CHARS, '').slice(0, 64);
  if (!value || /^0+$/.test(value)) return undefined;
  return value.toLowerCase();
}

function cpuinfoField(cpuinfo: string | undefined, field: string): string | undefined {
  if (!cpuinfo) return undefined;
  const match = new RegExp(`^${field}\\s*:\\s*(\\S+)\\s*$`, 'mi').exec(cpuinfo);
  return match?.[1];
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.+-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}

/**
 * Reads a device-tree model string. Raspberry Pis map to short model ids that firmware manifests
 * can list: "Raspberry Pi 4 Model B Rev 1.4" → rpi4 / 1.4, "Raspberry Pi 5 Model B Rev 1.0" →
 * rpi5, "Raspberry Pi Compute Module 4 Rev 1.0" → rpi-cm4, "Raspberry Pi Zero 2 W Rev 1.0" →
 * rpi-zero2w, "Raspberry Pi 400 Rev 1.0" → rpi400. Other boards get a slug of their model string.
 */
export function parseDeviceTreeModel(
  text: string,
): { model: string; hardwareRevision?: string } | undefined {
  const trimmed = text.replace(/\0/g, '').trim();
  if (!trimmed) return undefined;
  const rev = /\s+Rev\s+([0-9A-Za-z.+-]{1,64})$/i.exec(trimmed);
  const name = rev ? trimmed.slice(0, rev.index) : trimmed;
  const revision = rev?.[1];
  const pi = /^Raspberry Pi\s+(.*)$/i.exec(name);
  let model: string | undefined;
  if (pi) {
    const rest = (pi[1] ?? '').trim();
    const numbered = /^(\d+)(?:\s+Model\s+\S+(?:\s+Plus)?)?$/i.exec(rest);
    const cm = /^Compute Module\s+(\d+)/i.exec(rest);
    const zero = /^Zero(?:\s+(\d+))?(?:\s+(W|WH))?/i.exec(rest);
    if (numbered) model = `rpi${numbered[1] ?? ''}`;
    else if (cm) model = `rpi-cm${cm[1] ?? ''}`;
    else if (zero) model = `rpi-zero${zero[1] ?? ''}${(zero[2] ?? '').toLowerCase()}`;
    else if (/^Model\s+/i.test(rest)) model = 'rpi1';
    else model = `rpi-${slug(rest)}`;
  } else {
    model = slug(name);
  }
  if (!model) return undefined;
  return revision === undefined ? { model } : { model, hardwareRevision: revision };
}

/**
 * Detects serial number, model and hardware revision. Serial: `/proc/device-tree/serial-number`,
 * then `Serial` in `/proc/cpuinfo`, then `/etc/machine-id`. Model and revision:
 * `/proc/device-tree/model`, else `linux-<arch>`; revision from the model string, else the
 * `Revision` code in `/proc/cpuinfo`, else `unknown`. Overrides win over everything. No serial
 * at all is an error (SERIAL_UNKNOWN): two gateways must never enroll under one made-up serial.
 */
export async function detectDeviceIdentity(options: DetectOptions = {}): Promise<DeviceIdentity> {
  const root = options.root ?? '/';
  const overrides = options.overrides ?? {};
  const dtSerialPath = join(root, 'proc/device-tree/serial-number');
  const cpuinfoPath = join(root, 'proc/cpuinfo');
  const machineIdPath = join(root, 'etc/machine-id');
  const dtModelPath = join(root, 'proc/device-tree/model');
  const cpuinfo = await readText(cpuinfoPath);

  let serialNumber: string | undefined;
  let serialSource = 'override';
  if (overrides.serialNumber !== undefined) {
    serialNumber = overrides.serialNumber;
  } else {
    const candidates: [string, string | undefined][] = [
      [dtSerialPath, cleanSerial(await readText(dtSerialPath))],
      [`${cpuinfoPath} (Serial)`, cleanSerial(cpuinfoField(cpuinfo, 'Serial'))],
      [machineIdPath, cleanSerial(await readText(machineIdPath))],
    ];
    const found = candidates.find(([, value]) => value !== undefined);
    if (found) {
      serialSource = found[0];
      serialNumber = found[1];
    }
  }

  const dtModel = await readText(dtModelPath);
  const parsed = dtModel === undefined ? undefined : parseDeviceTreeModel(dtModel);
  const arch = options.arch ?? process.arch;
  const model = overrides.model ?? parsed?.model ?? `linux-${arch}`;
  const modelSource =
    overrides.model !== undefined ? 'override' : parsed ? dtModelPath : 'fallback (linux-<arch>)';

  const cpuRevision = cpuinfoField(cpuinfo, 'Revision');
  let hardwareRevision: string;
  let revisionSource: string;
  if (overrides.hardwareRevision !== undefined) {
    hardwareRevision = overrides.hardwareRevision;
    revisionSource = 'override';
  } else if (parsed?.hardwareRevision !== undefined) {
    hardwareRevision = parsed.hardwareRevision;
    revisionSource = dtModelPath;
  } else if (cpuRevision !== undefined && /^[0-9A-Za-z.+-]{1,64}$/.test(cpuRevision)) {
    hardwareRevision = cpuRevision;
    revisionSource = `${cpuinfoPath} (Revision)`;
  } else {
    hardwareRevision = 'unknown';
    revisionSource = 'fallback';
  }

  if (serialNumber === undefined) {
    throw new AgentError(
      'SERIAL_UNKNOWN',
      `no serial number in ${dtSerialPath}, ${cpuinfoPath} or ${machineIdPath}; pass --serial <serial> or set GATEWAY_AGENT_SERIAL_NUMBER`,
    );
  }
  return {
    serialNumber,
    model,
    hardwareRevision,
    sources: {
      serialNumber: serialSource,
      model: modelSource,
      hardwareRevision: revisionSource,
    },
  };
}
