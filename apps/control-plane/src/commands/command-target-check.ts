import type { FieldProblem } from '@fleet/common';
import { MAX_STRING_VALUE_LENGTH } from '@fleet/contracts';
import {
  CommandError,
  resolveCommand,
  validateCommandParameters,
  type DeviceProfile,
} from '@fleet/profiles';

export interface TargetDevice {
  id: string;
  name: string;
  profileId: string;
}

export interface TargetCheckFailure {
  code: 'COMMAND_NOT_SUPPORTED' | 'INVALID_PARAMETERS';
  problems: FieldProblem[];
}

/** How many offending devices a 400 names one by one (the rest are counted). */
export const LISTED_DEVICES = 20;
/** The MQTT contract carries at most this many parameters per execution. */
const MAX_PARAMS = 64;

/**
 * Checks a command against the profiles of every target device before anything is written: every
 * device must have the command, and the parameters must be valid for each distinct profile (and
 * resolve into operations). Returns the problems, each naming its field, or undefined when valid.
 */
export function checkCommandForTargets(
  devices: readonly TargetDevice[],
  profileOf: (id: string) => DeviceProfile | undefined,
  command: string,
  params: Readonly<Record<string, unknown>>,
): TargetCheckFailure | undefined {
  const byProfile = new Map<string, TargetDevice[]>();
  for (const device of devices) {
    const list = byProfile.get(device.profileId);
    if (list) list.push(device);
    else byProfile.set(device.profileId, [device]);
  }
  const lacking: { device: TargetDevice; profileId: string }[] = [];
  const lackingProfiles: string[] = [];
  const profiles: DeviceProfile[] = [];
  let hint: string | undefined;
  for (const [profileId, members] of byProfile) {
    const profile = profileOf(profileId);
    if (profile?.commands.some((c) => c.name === command)) {
      profiles.push(profile);
      continue;
    }
    lackingProfiles.push(`${profileId}: ${members.length}`);
    for (const device of members) lacking.push({ device, profileId });
    if (profile) hint ??= validateCommandParameters(profile, command, {})[0]?.message;
  }
  if (lacking.length > 0) {
    const problems: FieldProblem[] = [
      {
        field: 'command',
        reason: `"${command}" is not a command of ${lacking.length} of ${devices.length} target devices (by profile: ${lackingProfiles.join(', ')})${hint ? `; ${hint}` : ''}`,
      },
      ...lacking.slice(0, LISTED_DEVICES).map(({ device, profileId }) => ({
        field: 'target',
        reason: `device "${device.name}" (${device.id}) has profile ${profileId}, which has no command "${command}"`,
      })),
    ];
    if (lacking.length > LISTED_DEVICES)
      problems.push({
        field: 'target',
        reason: `... and ${lacking.length - LISTED_DEVICES} more devices without "${command}"`,
      });
    return { code: 'COMMAND_NOT_SUPPORTED', problems };
  }

  const problems: FieldProblem[] = [];
  const seen = new Set<string>();
  const add = (field: string, reason: string): void => {
    const key = `${field}\u0000${reason}`;
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ field, reason });
  };
  const names = Object.keys(params);
  if (names.length > MAX_PARAMS) add('params', `at most ${MAX_PARAMS} parameters`);
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'string' && value.length > MAX_STRING_VALUE_LENGTH)
      add(`params.${name}`, `must be at most ${MAX_STRING_VALUE_LENGTH} characters`);
  }
  const several = profiles.length > 1;
  for (const profile of profiles) {
    const suffix = several ? ` (profile ${profile.id})` : '';
    const issues = validateCommandParameters(profile, command, params);
    for (const issue of issues) {
      const field = issue.parameter === undefined ? 'params' : `params.${issue.parameter}`;
      const prefix = `${issue.parameter ?? ''}: `;
      const reason = issue.message.startsWith(prefix)
        ? issue.message.slice(prefix.length)
        : issue.message;
      add(field, `${reason}${suffix}`);
    }
    if (issues.length > 0) continue;
    try {
      resolveCommand(profile, command, params);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      for (const issue of error.issues) add('params', `${issue.message}${suffix}`);
    }
  }
  return problems.length > 0 ? { code: 'INVALID_PARAMETERS', problems } : undefined;
}
