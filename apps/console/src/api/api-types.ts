// JSON shapes of the control plane's REST API (apps/control-plane/src/**/*.dto.ts), as the
// console receives them: dates arrive as ISO strings.

export const ROLES = ['admin', 'release-manager', 'operator', 'technician', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export type Locale = 'vi' | 'en';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Principal {
  userId: string;
  username: string;
  role: Role;
  platformAdmin: boolean;
  tenantId: string | null;
  siteIds: readonly string[] | null;
}

export interface LoginResult {
  id: string;
  token: string;
  name: string;
  expiresAt: string | null;
  user: Principal;
}

export interface Tenant {
  id: string;
  name: string;
  locale: string;
  createdAt: string;
}

export interface GeoLocation {
  latitude: number;
  longitude: number;
}

export interface Site {
  id: string;
  name: string;
  timeZone: string;
  location: GeoLocation | null;
  address: string | null;
  requiresApproval: boolean;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface SiteCreate {
  id: string;
  name: string;
  timeZone: string;
  location?: GeoLocation;
  address?: string;
  requiresApproval?: boolean;
  tags?: string[];
}

export const GATEWAY_STATUSES = [
  'online',
  'offline',
  'pending',
  'active',
  'rejected',
  'revoked',
] as const;
export type GatewayStatus = (typeof GATEWAY_STATUSES)[number];

export interface Gateway {
  id: string;
  serialNumber: string;
  name: string;
  siteId: string;
  model: string;
  hardwareRevision: string;
  agentVersion: string | null;
  firmwareVersion: string | null;
  tags: string[];
  status: GatewayStatus;
  lifecycle: 'pending' | 'active' | 'rejected' | 'revoked';
  connectivity: 'online' | 'offline';
  lastSeenAt: string | null;
  connectivityChangedAt: string | null;
  deviceCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface DeviceConnection {
  kind: 'modbus-rtu' | 'modbus-tcp' | 'serial' | 'gpio';
  bus?: string;
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  host?: string;
  port?: number;
  unitId?: number;
  address?: number;
}

export interface Device {
  id: string;
  gatewayId: string;
  siteId: string;
  name: string;
  profileId: string;
  connection: DeviceConnection;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export type ParameterType = 'number' | 'integer' | 'boolean' | 'enum' | 'string';

export interface CommandParameter {
  name: string;
  type: ParameterType;
  description?: string;
  required: boolean;
  default?: number | boolean | string;
  min?: number;
  max?: number;
  unit?: string;
  values?: readonly string[];
}

export interface CommandDefinition {
  name: string;
  description?: string;
  parameters: readonly CommandParameter[];
  safetyStop?: { afterMs: number };
}

export interface PointDefinition {
  name: string;
  description?: string;
  type: string;
  unit?: string;
  access: 'r' | 'w' | 'rw';
  min?: number;
  max?: number;
  enumValues?: Readonly<Record<string, string>>;
  pollPeriodMs: number;
}

export interface DeviceProfile {
  id: string;
  vendor: string;
  model: string;
  version: string;
  description?: string;
  category?: string;
  points: readonly PointDefinition[];
  commands: readonly CommandDefinition[];
}

export interface IssuedClaim {
  id: string;
  code: string;
  siteId: string;
  expiresAt: string;
  enrollCommand: string;
}

export interface Claim {
  id: string;
  siteId: string;
  createdAt: string;
  expiresAt: string;
  state: 'unused' | 'used' | 'expired' | 'revoked';
  gatewayId: string | null;
}

export type AuditOutcome = 'success' | 'denied' | 'failure';

export interface AuditEntry {
  id: number;
  at: string;
  actorName: string | null;
  actorUserId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  method: string;
  path: string;
  statusCode: number;
  outcome: AuditOutcome;
  requestId: string;
}

/** The control plane's error body. */
export interface ApiErrorBody {
  statusCode: number;
  code: string;
  message: string;
  errors?: readonly { field: string; reason: string }[];
  requestId?: string;
}
