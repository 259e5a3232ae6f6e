import { Equals, IsIn, IsInt, IsString, Length, Matches, Min } from 'class-validator';
import { Optional } from './contract-validators.js';
import { IsTimestamp, VersionedMessageDto, type Plain } from './message-parts.js';

export const PRESENCE_STATES = ['online', 'offline'] as const;
export type PresenceState = (typeof PRESENCE_STATES)[number];
export const OFFLINE_REASONS = ['connection_lost', 'shutdown'] as const;
export type OfflineReason = (typeof OFFLINE_REASONS)[number];

export const BOOT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `status` (uplink, retained). Published online after every connect; the same message with
 * state offline and reason connection_lost is the connection's last will. Presence events can
 * arrive late or twice: within one agent boot order them by seq (the will always carries the seq
 * after its connection's online message); across boots (a new bootId) by ts. `ts` of a will is the
 * time the will was registered (at connect), not the time the connection died.
 */
export class StatusMessageDto extends VersionedMessageDto {
  @Equals('status')
  type!: 'status';

  @IsIn(PRESENCE_STATES)
  state!: PresenceState;

  @Optional()
  @IsIn(OFFLINE_REASONS)
  reason?: OfflineReason;

  @IsString()
  @Length(1, 64)
  agentVersion!: string;

  @IsString()
  @Length(1, 64)
  firmwareVersion!: string;

  @Matches(BOOT_ID_PATTERN)
  bootId!: string;

  @IsTimestamp()
  ts!: number;

  @IsInt()
  @Min(0)
  seq!: number;
}

export type StatusMessage = Plain<StatusMessageDto>;
