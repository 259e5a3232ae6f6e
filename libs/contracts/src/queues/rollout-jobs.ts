import { IsInt, Matches, Max, Min } from 'class-validator';
import { defineJob } from './job-definition.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One evaluation of a rollout, due at `slot` (epoch ms on the rollout's tick grid). */
export class RolloutTickPayload {
  @Matches(UUID, { message: 'rolloutId must be a lowercase UUID' })
  rolloutId!: string;

  @IsInt()
  @Min(0)
  @Max(8.64e15)
  slot!: number;
}

/**
 * Drives a rollout: times out stuck phases, gates waves, starts gateways, finishes or stops the
 * rollout, then schedules itself again. Ticks sit on a fixed time grid, so every replica that asks
 * for "the next tick" asks for the same job id and the requests merge.
 */
export const ROLLOUT_TICK = defineJob({
  queue: 'rollouts',
  name: 'rollout.tick',
  payload: RolloutTickPayload,
  jobId: (p) => `rollout-tick:${p.rolloutId}:${p.slot}`,
});
