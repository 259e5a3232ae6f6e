// Builds a pymodbus peer unit from a device profile: every point's registers mapped (zero), the
// given engineering values encoded with the profile codec, the way a real device would hold them.
import { type DeviceProfile, encodePoint, type PointValue } from '@fleet/profiles';
import type { PeerUnitSeed } from './modbus-peer.js';

export function unitFromProfile(
  profile: DeviceProfile,
  values: Record<string, PointValue> = {},
): PeerUnitSeed {
  const unit: Required<Pick<PeerUnitSeed, 'coil' | 'discrete' | 'holding' | 'input'>> = {
    coil: {},
    discrete: {},
    holding: {},
    input: {},
  };
  for (const p of profile.points) {
    if (p.table === undefined || p.address === undefined) continue;
    for (let i = 0; i < p.count; i++) {
      if (p.table === 'coil' || p.table === 'discrete') unit[p.table][p.address + i] ??= false;
      else unit[p.table][p.address + i] ??= 0;
    }
  }
  for (const [name, value] of Object.entries(values)) {
    const p = profile.points.find((x) => x.name === name);
    if (!p || p.table === undefined || p.address === undefined)
      throw new Error(`${profile.id}: no Modbus point "${name}"`);
    const encoded = encodePoint(p, value);
    encoded.forEach((v, i) => {
      if (p.table === 'coil' || p.table === 'discrete')
        unit[p.table][(p.address ?? 0) + i] = v === true || v === 1;
      else if (p.table !== undefined)
        unit[p.table][(p.address ?? 0) + i] = typeof v === 'boolean' ? Number(v) : v;
    });
  }
  return unit;
}
