import { findCommand } from './command-parameters.js';
import type { DeviceProfile } from './profile.types.js';

/**
 * Turns `key=value` text (CLI, query strings) into typed parameter values by the declared types.
 * Text that does not convert is passed through unchanged so validateCommandParameters names it.
 */
export function coerceCommandArguments(
  profile: DeviceProfile,
  commandName: string,
  raw: Readonly<Record<string, string>>,
): Record<string, unknown> {
  const command = findCommand(profile, commandName);
  const types = new Map(command?.parameters.map((p) => [p.name, p.type]) ?? []);
  const out: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(raw)) {
    const t = types.get(name);
    const trimmed = text.trim();
    if ((t === 'number' || t === 'integer') && trimmed !== '' && Number.isFinite(Number(trimmed))) {
      out[name] = Number(trimmed);
    } else if (t === 'boolean' && /^(true|false|on|off|1|0)$/i.test(trimmed)) {
      out[name] = /^(true|on|1)$/i.test(trimmed);
    } else {
      out[name] = text;
    }
  }
  return out;
}
