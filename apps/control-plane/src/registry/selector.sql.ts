import type {
  DeviceSelectorKey,
  GatewaySelectorKey,
  Selector,
  SelectorTerm,
} from '@fleet/contracts';
import { and, eq, inArray, not, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { Scope } from '../auth/principal.js';
import { devices, gateways } from '../database/schema.js';

/** Gateway status as users see it: lifecycle unless active, then presence. */
export const GATEWAY_STATUSES = [
  'online',
  'offline',
  'pending',
  'active',
  'rejected',
  'revoked',
] as const;

function statusCondition(value: string): SQL {
  switch (value) {
    case 'online':
    case 'offline':
      return and(eq(gateways.lifecycle, 'active'), eq(gateways.connectivity, value))!;
    default:
      return eq(gateways.lifecycle, value);
  }
}

function textArray(values: readonly string[]): SQL {
  return sql`ARRAY[${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )}]::text[]`;
}

function termCondition(term: SelectorTerm, column: Parameters<typeof inArray>[0]): SQL {
  return term.negate ? notInArray(column, [...term.values]) : inArray(column, [...term.values]);
}

function tagCondition(
  term: SelectorTerm,
  tagsColumn: typeof gateways.tags | typeof devices.tags,
): SQL {
  const overlaps = sql`${tagsColumn} && ${textArray(term.values)}`;
  return term.negate ? not(overlaps) : overlaps;
}

function gatewayTerm(term: SelectorTerm<GatewaySelectorKey>): SQL {
  switch (term.key) {
    case 'id':
      return uuidTerm(term, gateways.id);
    case 'site':
      return termCondition(term, gateways.siteId);
    case 'tag':
      return tagCondition(term, gateways.tags);
    case 'status': {
      const any = or(...term.values.map(statusCondition))!;
      return term.negate ? not(any) : any;
    }
    case 'model':
      return termCondition(term, gateways.model);
    case 'hardware':
      return termCondition(term, gateways.hardwareRevision);
    case 'firmware':
      return termCondition(term, gateways.firmwareVersion);
    case 'agent':
      return termCondition(term, gateways.agentVersion);
    case 'serial':
      return termCondition(term, gateways.serialNumber);
  }
}

function deviceTerm(term: SelectorTerm<DeviceSelectorKey>): SQL {
  switch (term.key) {
    case 'id':
      return uuidTerm(term, devices.id);
    case 'site':
      return termCondition(term, gateways.siteId);
    case 'tag':
      return tagCondition(term, devices.tags);
    case 'gateway':
      return uuidTerm(term, devices.gatewayId);
    case 'profile':
      return termCondition(term, devices.profileId);
    case 'model':
      return termCondition(term, gateways.model);
    case 'status':
      return gatewayTerm({ ...term, key: 'status' });
  }
}

/** Ids are uuids: a malformed one can never match, and must not reach Postgres as a cast error. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidTerm(term: SelectorTerm, column: Parameters<typeof inArray>[0]): SQL {
  const values = term.values.filter((v) => UUID.test(v));
  if (values.length === 0) return term.negate ? sql`true` : sql`false`;
  return termCondition({ ...term, values }, column);
}

export function scopeCondition(scope: Scope): SQL {
  return and(
    eq(gateways.tenantId, scope.tenantId),
    scope.siteIds === null
      ? undefined
      : scope.siteIds.length === 0
        ? sql`false`
        : inArray(gateways.siteId, [...scope.siteIds]),
  )!;
}

export function gatewaySelectorCondition(selector: Selector<GatewaySelectorKey>): SQL | undefined {
  return selector.terms.length ? and(...selector.terms.map(gatewayTerm)) : undefined;
}

export function deviceSelectorCondition(selector: Selector<DeviceSelectorKey>): SQL | undefined {
  return selector.terms.length ? and(...selector.terms.map(deviceTerm)) : undefined;
}
