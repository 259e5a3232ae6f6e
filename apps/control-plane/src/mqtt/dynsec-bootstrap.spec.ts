import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDynsecBootstrap } from './dynsec-bootstrap.cli.js';
import {
  buildDynsecBootstrap,
  gatewayAcls,
  hashDynsecPassword,
  type DynsecConfigFile,
} from './dynsec-bootstrap.js';

describe('dynsec bootstrap', () => {
  it('hashes passwords exactly as mosquitto_ctrl does (golden vector from `mosquitto_ctrl dynsec init`)', () => {
    const hashed = hashDynsecPassword('adminpw', 101, Buffer.from('PCUb1DBrI1wIlR5v', 'base64'));
    expect(hashed).toEqual({
      password:
        'Ulc/bbYPfxzUDx4efPpvMToZY6ggpiIiFhSnYUmtPSGj+cU5WvBbtcBCZzSU8+7snmd/nPDAhBGWCbEDJE5VSg==',
      salt: 'PCUb1DBrI1wIlR5v',
      iterations: 101,
    });
  });

  it('denies by default and grants the control plane only fleet topics and dynsec administration', () => {
    const config = buildDynsecBootstrap({
      controlPlaneUsername: 'cp',
      controlPlanePassword: 'secret-password',
    });
    expect(config.defaultACLAccess).toEqual({
      publishClientSend: false,
      publishClientReceive: true,
      subscribe: false,
      unsubscribe: true,
    });
    expect(config.clients.map((c) => [c.username, c.roles.map((r) => r.rolename)])).toEqual([
      ['cp', ['fleet-control-plane', 'dynsec-admin']],
    ]);
    const role = config.roles.find((r) => r.rolename === 'fleet-control-plane');
    expect(
      role?.acls.every(
        (a) =>
          a.topic.startsWith('fleet/v1/gw/+/') || a.topic.startsWith('$share/+/fleet/v1/gw/+/'),
      ),
    ).toBe(true);
    expect(role?.acls.filter((a) => a.acltype === 'publishClientSend').map((a) => a.topic)).toEqual(
      ['fleet/v1/gw/+/config', 'fleet/v1/gw/+/cmd', 'fleet/v1/gw/+/ota', 'fleet/v1/gw/+/control'],
    );
  });

  it("limits a gateway's role to literal topics of its own", () => {
    const acls = gatewayAcls('gw-7');
    expect(
      acls.every((a) => a.topic.startsWith('fleet/v1/gw/gw-7/') && !/[+#]/.test(a.topic)),
    ).toBe(true);
    expect(acls.filter((a) => a.acltype === 'subscribeLiteral')).toHaveLength(4);
    expect(acls.filter((a) => a.acltype === 'publishClientSend')).toHaveLength(7);
  });

  describe('CLI', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fleet-dynsec-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('writes a 0600 file, reads passwords from files, generates missing ones and never overwrites silently', async () => {
      const out = join(dir, 'dynamic-security.json');
      await writeFile(join(dir, 'cp.pw'), 'control-plane-password\n');
      const printed = await runDynsecBootstrap([
        '--out',
        out,
        '--control-plane-password-file',
        join(dir, 'cp.pw'),
        '--admin-user',
        'admin',
      ]);
      expect(printed).toMatch(/^wrote .*\nadmin password: [A-Za-z0-9_-]{32}$/);
      expect((await stat(out)).mode & 0o777).toBe(0o600);
      const config = JSON.parse(await readFile(out, 'utf8')) as DynsecConfigFile;
      const cp = config.clients.find((c) => c.username === 'fleet-control-plane')!;
      expect(
        hashDynsecPassword('control-plane-password', cp.iterations, Buffer.from(cp.salt!, 'base64'))
          .password,
      ).toBe(cp.password);
      await expect(runDynsecBootstrap(['--out', out])).rejects.toThrow(/EEXIST/);
      await expect(runDynsecBootstrap([])).rejects.toThrow(/--out is required/);
    });
  });
});
