import { createHash } from 'node:crypto';
import type { ProfileSource } from '@fleet/contracts';
import { parseProfile, type DeviceProfile } from '@fleet/profiles';

/**
 * Parsed device profiles shared by every simulated gateway: the control plane sends the same YAML
 * to thousands of gateways, and parsing it once per gateway would cost seconds of CPU. Keyed by
 * the text's hash, so a changed profile is parsed again. Errors are remembered too.
 */
export class ProfileCache {
  private readonly parsed = new Map<string, DeviceProfile | Error>();

  get(source: ProfileSource): DeviceProfile {
    const key = `${source.id}@${source.version}#${createHash('sha1').update(source.source).digest('hex')}`;
    let entry = this.parsed.get(key);
    if (entry === undefined) {
      try {
        entry = parseProfile(`${source.id}.yaml`, source.source);
      } catch (error) {
        entry = error instanceof Error ? error : new Error(String(error));
      }
      this.parsed.set(key, entry);
    }
    if (entry instanceof Error) throw entry;
    return entry;
  }
}
