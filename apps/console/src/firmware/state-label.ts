import type { MessageKey } from '../i18n/messages-en.js';
import type { Translate } from '../i18n/translate.js';

const ROLLOUT = ['scheduled', 'running', 'paused', 'completed', 'aborted', 'canceled'];
const WAVE = ['pending', 'active', 'done'];

/** A rollout's or a wave's state in words (an unknown state is shown as the server names it). */
export function rolloutStateLabel(t: Translate, state: string, of: 'rollout' | 'wave'): string {
  const known = of === 'rollout' ? ROLLOUT : WAVE;
  return known.includes(state) ? t(`${of}.${state}` as MessageKey) : state;
}
