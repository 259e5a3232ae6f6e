import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { DOWNLINK_CHANNELS, MQTT_TOPIC_ROOT, UPLINK_CHANNELS } from '@fleet/contracts';

/** Role names the control plane relies on in Mosquitto's dynamic security configuration. */
export const DYNSEC_ADMIN_ROLE = 'dynsec-admin';
export const DYNSEC_CONTROL_PLANE_ROLE = 'fleet-control-plane';
export const DYNSEC_GATEWAY_ROLE_PREFIX = 'fleet-gw-';

export type DynsecAclType =
  | 'publishClientSend'
  | 'publishClientReceive'
  | 'subscribeLiteral'
  | 'subscribePattern'
  | 'unsubscribeLiteral'
  | 'unsubscribePattern';

export interface DynsecAcl {
  acltype: DynsecAclType;
  topic: string;
  priority?: number;
  allow: boolean;
}

export interface DynsecRole {
  rolename: string;
  textname?: string;
  acls: DynsecAcl[];
}

export interface DynsecClient {
  username: string;
  textname?: string;
  clientid?: string;
  password?: string;
  salt?: string;
  iterations?: number;
  roles: { rolename: string; priority?: number }[];
}

export interface DynsecConfigFile {
  clients: DynsecClient[];
  roles: DynsecRole[];
  groups: never[];
  defaultACLAccess: {
    publishClientSend: boolean;
    publishClientReceive: boolean;
    subscribe: boolean;
    unsubscribe: boolean;
  };
}

export interface DynsecBootstrapOptions {
  /** The account the control plane uses for both its bus and dynsec administration. */
  controlPlaneUsername: string;
  controlPlanePassword: string;
  /** An optional separate administrator for people using mosquitto_ctrl. */
  adminUsername?: string;
  adminPassword?: string;
  /** PBKDF2 iterations (Mosquitto 2.0's own default is 101). */
  iterations?: number;
}

/** Mosquitto's dynsec password format: base64 PBKDF2-HMAC-SHA512 (64 bytes) over a 12-byte salt. */
export function hashDynsecPassword(
  password: string,
  iterations = 101,
  salt: Buffer = randomBytes(12),
): { password: string; salt: string; iterations: number } {
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return { password: hash.toString('base64'), salt: salt.toString('base64'), iterations };
}

/** The ACLs of the control plane: publish every gateway's downlinks, subscribe to every uplink (also shared). */
export function controlPlaneAcls(): DynsecAcl[] {
  const acls: DynsecAcl[] = DOWNLINK_CHANNELS.map((c) => ({
    acltype: 'publishClientSend',
    topic: `${MQTT_TOPIC_ROOT}/+/${c}`,
    allow: true,
  }));
  for (const c of UPLINK_CHANNELS) {
    acls.push({ acltype: 'subscribePattern', topic: `${MQTT_TOPIC_ROOT}/+/${c}`, allow: true });
    // Mosquitto 2.0 checks a shared subscription's ACL against the full `$share/<group>/...` filter.
    acls.push({
      acltype: 'subscribePattern',
      topic: `$share/+/${MQTT_TOPIC_ROOT}/+/${c}`,
      allow: true,
    });
  }
  return acls;
}

/** The ACLs of one gateway: its own uplinks out, its own downlinks in, nothing else. */
export function gatewayAcls(gatewayId: string): DynsecAcl[] {
  return [
    ...UPLINK_CHANNELS.map((c): DynsecAcl => ({
      acltype: 'publishClientSend',
      topic: `${MQTT_TOPIC_ROOT}/${gatewayId}/${c}`,
      allow: true,
    })),
    // Literal, so a wildcard subscription never matches a gateway's grant.
    ...DOWNLINK_CHANNELS.map((c): DynsecAcl => ({
      acltype: 'subscribeLiteral',
      topic: `${MQTT_TOPIC_ROOT}/${gatewayId}/${c}`,
      allow: true,
    })),
  ];
}

const adminAcls: DynsecAcl[] = [
  { acltype: 'publishClientSend', topic: '$CONTROL/dynamic-security/#', allow: true },
  { acltype: 'publishClientReceive', topic: '$CONTROL/dynamic-security/#', allow: true },
  { acltype: 'subscribePattern', topic: '$CONTROL/dynamic-security/#', allow: true },
];

/**
 * The initial dynamic-security.json: deny by default, a control-plane account allowed to administer
 * dynsec and to use the fleet topics, and optionally a separate admin account. Gateways are added
 * later, one client and one role each, by MosquittoDynsecAdapter.
 */
export function buildDynsecBootstrap(options: DynsecBootstrapOptions): DynsecConfigFile {
  const iterations = options.iterations ?? 101;
  const clients: DynsecClient[] = [
    {
      username: options.controlPlaneUsername,
      textname: 'edge-fleet control plane',
      ...hashDynsecPassword(options.controlPlanePassword, iterations),
      roles: [{ rolename: DYNSEC_CONTROL_PLANE_ROLE }, { rolename: DYNSEC_ADMIN_ROLE }],
    },
  ];
  if (options.adminUsername && options.adminPassword) {
    clients.push({
      username: options.adminUsername,
      textname: 'dynsec administrator',
      ...hashDynsecPassword(options.adminPassword, iterations),
      roles: [{ rolename: DYNSEC_ADMIN_ROLE }],
    });
  }
  return {
    clients,
    roles: [
      { rolename: DYNSEC_ADMIN_ROLE, textname: 'administers dynamic security', acls: adminAcls },
      {
        rolename: DYNSEC_CONTROL_PLANE_ROLE,
        textname: 'edge-fleet control plane',
        acls: controlPlaneAcls(),
      },
    ],
    groups: [],
    defaultACLAccess: {
      publishClientSend: false,
      publishClientReceive: true,
      subscribe: false,
      unsubscribe: true,
    },
  };
}
