import { CommandError } from './command.error.js';
import { findCommand, validateCommandParameters, withDefaults } from './command-parameters.js';
import { runSteps, StepError, stopStepIndex } from './command-runner.js';
import type { CommandDefinition, DeviceProfile, Operation } from './profile.types.js';

export interface ResolveOptions {
  /** Serial (Pelco-D) address of the target device; default: the profile's serial transport default. */
  address?: number;
}

function prepare(
  profile: DeviceProfile,
  commandName: string,
  params: Readonly<Record<string, unknown>>,
  options: ResolveOptions,
): { command: CommandDefinition; values: ReturnType<typeof withDefaults>; address: number } {
  const issues = validateCommandParameters(profile, commandName, params);
  const command = findCommand(profile, commandName);
  if (!command) throw new CommandError('UNKNOWN_COMMAND', commandName, issues);
  if (issues.length > 0) throw new CommandError('INVALID_PARAMETERS', commandName, issues);
  const serial = profile.transports.find((t) => t.kind === 'serial');
  const address = options.address ?? (serial?.kind === 'serial' ? serial.defaultAddress : 1);
  if (!Number.isInteger(address) || address < 1 || address > 255) {
    throw new CommandError('INVALID_PARAMETERS', commandName, [
      { code: 'OUT_OF_RANGE', message: `address: must be 1..255 (got ${address})` },
    ]);
  }
  return { command, values: withDefaults(command, params), address };
}

function run(commandName: string, fn: () => Operation[]): Operation[] {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StepError) {
      throw new CommandError('RESOLUTION_FAILED', commandName, [
        { code: 'RESOLUTION_FAILED', message: `step ${e.step} (${e.field}): ${e.message}` },
      ]);
    }
    throw e;
  }
}

/**
 * Validates the parameters and turns a profile command into the operations to run, values
 * already encoded by the codec. A command with a safetyStop resolves to its full sequence,
 * e.g. [move frame, delay(≤ afterMs), stop frame]: the stop is part of the result.
 */
export function resolveCommand(
  profile: DeviceProfile,
  commandName: string,
  params: Readonly<Record<string, unknown>>,
  options: ResolveOptions = {},
): Operation[] {
  const { command, values, address } = prepare(profile, commandName, params, options);
  return run(commandName, () => runSteps(profile, command, values, address));
}

/**
 * The stop operations of a safety-stopped command (the steps after its last delay), for a runtime
 * that must abandon the sequence early. Empty for commands without a safetyStop.
 */
export function resolveSafetyStop(
  profile: DeviceProfile,
  commandName: string,
  params: Readonly<Record<string, unknown>>,
  options: ResolveOptions = {},
): Operation[] {
  const { command, values, address } = prepare(profile, commandName, params, options);
  const from = stopStepIndex(command);
  if (from === undefined) return [];
  return run(commandName, () => runSteps(profile, command, values, address, from));
}
