import 'reflect-metadata';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { plainToInstance, Type } from 'class-transformer';
import {
  Equals,
  IsIn,
  IsISO8601,
  IsString,
  Length,
  Matches,
  ValidateNested,
  validateSync,
  type ValidationError,
} from 'class-validator';
import {
  GATEWAY_ID_PATTERN,
  GATEWAY_LIFECYCLES,
  MqttCredentialsDto,
  type GatewayLifecycle,
} from '@fleet/contracts';
import { AgentError } from '../agent/agent.error.js';
import { readJsonFile, writeJsonFile } from '../agent/state-file.js';

export const IDENTITY_FILE = 'identity.json';

class EnrolledDeviceDto {
  @IsString() @Length(1, 64) serialNumber!: string;
  @IsString() @Length(1, 64) model!: string;
  @IsString() @Length(1, 64) hardwareRevision!: string;
}

/** `identity.json`: who this gateway is and its MQTT credentials, as enrollment returned them. */
export class StoredIdentityDto implements StoredIdentity {
  @Equals(1) v!: 1;
  @Matches(GATEWAY_ID_PATTERN, { message: 'gatewayId must be usable as an MQTT client id' })
  gatewayId!: string;
  @IsString() @Length(1, 128) tenantId!: string;
  @IsString() @Length(1, 128) siteId!: string;
  @IsIn(GATEWAY_LIFECYCLES) lifecycle!: GatewayLifecycle;
  @ValidateNested() @Type(() => MqttCredentialsDto) mqtt!: MqttCredentialsDto;
  /** The control plane the gateway enrolled with. */
  @IsString() @Length(1, 512) server!: string;
  @IsISO8601() enrolledAt!: string;
  @ValidateNested() @Type(() => EnrolledDeviceDto) device!: EnrolledDeviceDto;
}

export interface StoredIdentity {
  v: 1;
  gatewayId: string;
  tenantId: string;
  siteId: string;
  lifecycle: GatewayLifecycle;
  mqtt: { url: string; username: string; password: string; clientId: string };
  server: string;
  enrolledAt: string;
  device: { serialNumber: string; model: string; hardwareRevision: string };
}

function flatten(errors: readonly ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => `${path}: ${m}`);
    return [...own, ...flatten(e.children ?? [], path)];
  });
}

/** Problems with an identity (from the server or from disk), each naming its field. */
export function identityProblems(plain: unknown): string[] {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain))
    return ['must be a JSON object'];
  const problems = flatten(validateSync(plainToInstance(StoredIdentityDto, plain)));
  const value = plain as Partial<StoredIdentity>;
  if (problems.length === 0 && value.mqtt && value.gatewayId) {
    if (value.mqtt.clientId !== value.gatewayId) {
      problems.push(
        `mqtt.clientId: must equal the gateway id ${value.gatewayId} (the broker admits a gateway only under its own id)`,
      );
    }
    if (!/^(mqtts?|tcp|ssl|wss?):\/\/[^/\s]+/.test(value.mqtt.url)) {
      problems.push(`mqtt.url: must be an mqtt:// or mqtts:// URL, got "${value.mqtt.url}"`);
    }
  }
  return problems;
}

/** Reads and writes `identity.json` (mode 0600, replaced atomically) in the state directory. */
export class IdentityStore {
  constructor(readonly stateDir: string) {}

  get path(): string {
    return join(this.stateDir, IDENTITY_FILE);
  }

  async exists(): Promise<boolean> {
    try {
      await stat(this.path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  /** The stored identity; NOT_ENROLLED when there is none, IDENTITY_INVALID when it is damaged. */
  async load(): Promise<StoredIdentity> {
    let plain: unknown;
    try {
      plain = await readJsonFile(this.path);
    } catch (error) {
      throw new AgentError(
        'IDENTITY_INVALID',
        `${this.path} is unreadable (${(error as Error).message}); enroll again with --force`,
      );
    }
    if (plain === undefined) {
      throw new AgentError(
        'NOT_ENROLLED',
        `this gateway is not enrolled (no ${this.path}); run: gateway-agent enroll --server <url> --claim <code>`,
      );
    }
    const problems = identityProblems(plain);
    if (problems.length > 0) {
      throw new AgentError(
        'IDENTITY_INVALID',
        `${this.path} is not a valid identity (${problems.join('; ')}); enroll again with --force`,
      );
    }
    return plain as StoredIdentity;
  }

  async save(identity: StoredIdentity): Promise<void> {
    await ensureStateDir(this.stateDir);
    await writeJsonFile(this.path, identity, { mode: 0o600 });
    await chmod(this.path, 0o600);
    // `sudo gateway-agent enroll` writes as root into a state dir the service user owns: hand the
    // file to that user, or the service could not read its own credentials.
    if (process.getuid?.() === 0) {
      const dir = await stat(this.stateDir);
      if (dir.uid !== 0) await chown(this.path, dir.uid, dir.gid);
    }
  }
}

/** Creates the state directory (0700: it holds credentials) or fails with a clear error. */
export async function ensureStateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new AgentError(
      'STATE_DIR_UNUSABLE',
      `cannot create the state directory ${dir}: ${(error as Error).message}`,
    );
  }
}
