import fc from 'fast-check';
import { getMetadataStorage } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@fleet/common';
import { LoginDto, TokenCreateDto } from '../../apps/control-plane/src/auth/auth.dto.js';
import { UserCreateDto, UserUpdateDto } from '../../apps/control-plane/src/auth/users.dto.js';
import { CommandCreateDto } from '../../apps/control-plane/src/commands/commands.dto.js';
import { ReleaseKeyCreateDto } from '../../apps/control-plane/src/firmware/release-keys.dto.js';
import { RolloutCreateDto } from '../../apps/control-plane/src/firmware/rollouts.dto.js';
import { createValidationPipe } from '../../apps/control-plane/src/http/validation.pipe.js';
import { ClaimCreateDto } from '../../apps/control-plane/src/provisioning/provisioning.dto.js';
import {
  DeviceCreateDto,
  DeviceUpdateDto,
} from '../../apps/control-plane/src/registry/devices.dto.js';
import {
  GatewayCreateDto,
  GatewayUpdateDto,
} from '../../apps/control-plane/src/registry/gateways.dto.js';
import { SiteCreateDto, SiteUpdateDto } from '../../apps/control-plane/src/registry/sites.dto.js';
import { hostileJson } from '../support/security/hostile-values.js';
import { mutatedDocument } from '../support/security/json-mutation.js';
import { propertyParameters } from '../support/security/property-budget.js';

/**
 * The control plane's request-body DTOs through the application's own ValidationPipe (the one
 * every route uses), with bodies as Fastify hands them over (JSON.parse of the wire text, so
 * `__proto__` is an own key). Each body is either accepted as an instance of its DTO, or refused
 * with InvalidInputError (kind `invalid`, mapped to 400 by the one error filter) listing fields
 * and reasons; nothing else may escape.
 */
type Dto = new () => object;
const UUID = '01a21a12-4fa2-7729-8355-327da3986d9b';

const BODIES: { name: string; dto: Dto; sample: Record<string, unknown> }[] = [
  {
    name: 'SiteCreateDto',
    dto: SiteCreateDto,
    sample: {
      id: 'dn-haichau',
      name: 'Hai Chau',
      timeZone: 'Asia/Ho_Chi_Minh',
      location: { latitude: 16.05, longitude: 108.2 },
    },
  },
  {
    name: 'SiteUpdateDto',
    dto: SiteUpdateDto,
    sample: { name: 'Hai Chau 2', location: { latitude: -33.9, longitude: 151.2 } },
  },
  {
    name: 'GatewayCreateDto',
    dto: GatewayCreateDto,
    sample: {
      serialNumber: 'RPI4-00012345',
      siteId: 'dn-haichau',
      model: 'rpi4',
      hardwareRevision: '1.4',
      name: 'Cabinet 12',
      tags: ['river', 'zone:a'],
    },
  },
  {
    name: 'GatewayUpdateDto',
    dto: GatewayUpdateDto,
    sample: { name: 'Cabinet 13', siteId: 'dn-south', tags: ['x'] },
  },
  {
    name: 'DeviceCreateDto',
    dto: DeviceCreateDto,
    sample: {
      name: 'Light 1',
      profileId: 'streetlight-controller',
      connection: { kind: 'modbus-rtu', bus: '/dev/ttyUSB0', unitId: 1, baudRate: 9600 },
      tags: ['streetlight'],
    },
  },
  {
    name: 'DeviceUpdateDto',
    dto: DeviceUpdateDto,
    sample: { connection: { kind: 'modbus-tcp', host: '10.20.0.15', port: 502, unitId: 3 } },
  },
  {
    name: 'CommandCreateDto',
    dto: CommandCreateDto,
    sample: {
      target: { deviceIds: [UUID] },
      command: 'setDim',
      params: { level: 40 },
      ttlSeconds: 600,
      priority: 50,
      idempotencyKey: 'night-1',
    },
  },
  {
    name: 'RolloutCreateDto',
    dto: RolloutCreateDto,
    sample: {
      releaseId: UUID,
      name: 'agent 1.4.0',
      selector: 'site=dn-haichau',
      waves: ['10%', '100%'],
      successThresholdPercent: 95,
      failureThreshold: { count: 3, percent: 10, minSample: 2, action: 'pause' },
      maxConcurrent: 10,
      maintenanceWindow: { cron: '0 1 * * *', durationMinutes: 240, timeZone: 'Asia/Ho_Chi_Minh' },
      phaseTimeouts: { downloading: 3600, verifying: 600 },
      includeLateJoiners: true,
    },
  },
  { name: 'ClaimCreateDto', dto: ClaimCreateDto, sample: { ttlSeconds: 1800 } },
  {
    name: 'ReleaseKeyCreateDto',
    dto: ReleaseKeyCreateDto,
    sample: {
      name: 'release 2026',
      publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n',
    },
  },
  { name: 'LoginDto', dto: LoginDto, sample: { username: 'lan.nguyen', password: 'secret-123' } },
  {
    name: 'TokenCreateDto',
    dto: TokenCreateDto,
    sample: { name: 'ci', expiresInSeconds: 86_400, userId: UUID },
  },
  {
    name: 'UserCreateDto',
    dto: UserCreateDto,
    sample: {
      username: 'lan.nguyen',
      displayName: 'Nguyễn Thị Lan',
      role: 'operator',
      siteIds: ['dn-haichau'],
      password: 'long-enough-password',
    },
  },
  {
    name: 'UserUpdateDto',
    dto: UserUpdateDto,
    sample: { displayName: 'Lan', role: 'viewer' },
  },
];

const pipe = createValidationPipe();

/** Top-level properties the DTO declares (validation metadata, inherited ones included). */
function declared(dto: Dto): Set<string> {
  return new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(dto, '', true, false)
      .map((m) => m.propertyName),
  );
}

/** As Fastify's JSON body parser would hand it over. */
function overTheWire(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

const withProtoKey = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text?.startsWith('{') && text.length > 2
    ? (JSON.parse(text.replace('{', '{"__proto__":{"isAdmin":true},')) as unknown)
    : value;
};

async function validateBody(
  dto: Dto,
  body: unknown,
): Promise<{ ok: true; value: object } | { ok: false; error: InvalidInputError }> {
  try {
    const value = (await pipe.transform(body, { type: 'body', metatype: dto })) as object;
    return { ok: true, value };
  } catch (error) {
    if (error instanceof InvalidInputError) return { ok: false, error };
    throw new Error(`not an InvalidInputError for ${JSON.stringify(body)?.slice(0, 300)}`, {
      cause: error,
    });
  }
}

describe('API request bodies under random JSON', () => {
  it.each(BODIES)(
    '$name: random and mutated bodies are accepted, or refused naming each field and why',
    async ({ dto, sample }) => {
      const fields = declared(dto);
      expect((await validateBody(dto, sample)).ok).toBe(true);
      const body = fc.oneof(
        { weight: 2, arbitrary: hostileJson() },
        { weight: 5, arbitrary: mutatedDocument(sample).map((m) => m.value) },
        { weight: 1, arbitrary: mutatedDocument(sample).map((m) => withProtoKey(m.value)) },
      );
      const seen = { accepted: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(body, async (raw) => {
          const input = overTheWire(raw);
          const result = await validateBody(dto, input);
          if (result.ok) {
            seen.accepted += 1;
            expect(result.value).toBeInstanceOf(dto);
            // Nothing it does not declare got through, nor a polluted prototype.
            for (const key of Object.keys(result.value)) expect(fields).toContain(key);
            expect((result.value as { isAdmin?: unknown }).isAdmin).toBeUndefined();
            // What was accepted is accepted again as it would be re-sent.
            expect((await validateBody(dto, overTheWire(result.value))).ok).toBe(true);
            return;
          }
          seen.refused += 1;
          const { error } = result;
          expect(error.kind).toBe('invalid');
          expect(error.code).toBe('VALIDATION_FAILED');
          expect(error.problems.length).toBeGreaterThan(0);
          // Declared fields (a required one missing from a body that is not an object too), keys
          // the client sent (array indexes included), or `body` for the body as a whole.
          const sent = typeof input === 'object' && input !== null ? Object.keys(input) : [];
          const names = [...fields, ...sent, 'body'];
          for (const problem of error.problems) {
            expect(problem.reason.trim().length, problem.field).toBeGreaterThan(0);
            // A named field: one the DTO declares or one the client sent (or below one).
            const named = names.some(
              (n) => problem.field === n || problem.field.startsWith(`${n}.`),
            );
            expect(named, `${problem.field} of ${JSON.stringify(input)?.slice(0, 200)}`).toBe(true);
            expect(error.message).toContain(problem.field);
          }
        }),
        propertyParameters(),
      );
      expect(seen.accepted).toBeGreaterThan(100);
      expect(seen.refused).toBeGreaterThan(1000);
    },
  );
});
