import { Equals, IsIn, IsInt, Matches, Max, Min } from 'class-validator';
import { ENTITY_ID_PATTERN, Optional } from './contract-validators.js';
import { IsTimestamp, VersionedMessageDto, type Plain } from './message-parts.js';

export const CONTROL_ACTIONS = ['reconnect', 'resync'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

/**
 * `control` (downlink). reconnect: drop the session and connect again after a random delay of up
 * to `spreadMs` (so a fleet told to reconnect does not arrive at once). resync: publish status,
 * a heartbeat and the config ack again.
 */
export class ControlMessageDto extends VersionedMessageDto {
  @Equals('control')
  type!: 'control';

  @IsIn(CONTROL_ACTIONS)
  action!: ControlAction;

  @Optional()
  @Matches(ENTITY_ID_PATTERN)
  requestId?: string;

  @Optional()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  spreadMs?: number;

  @IsTimestamp()
  ts!: number;
}

export type ControlMessage = Plain<ControlMessageDto>;
