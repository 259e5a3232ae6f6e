import type { StreamState } from '../api/event-stream.js';
import { useI18n } from '../i18n/i18n-context.js';

export function LiveIndicator({ state }: { state: StreamState }) {
  const { t } = useI18n();
  return (
    <span className={`live live-${state}`} role="status">
      <span className="dot" aria-hidden="true" />
      {t(`live.${state}`)}
    </span>
  );
}
