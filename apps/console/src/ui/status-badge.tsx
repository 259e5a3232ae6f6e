import type { GatewayStatus } from '../api/api-types.js';
import { useI18n } from '../i18n/i18n-context.js';

/** A status with its colour and its word (colour alone never carries meaning). */
export function StatusBadge({ status }: { status: GatewayStatus }) {
  const { t } = useI18n();
  return (
    <span className={`badge status-${status}`}>
      <span className="dot" aria-hidden="true" />
      {t(`status.${status}`)}
    </span>
  );
}

export function StateBadge({ state, label }: { state: string; label: string }) {
  return (
    <span className={`badge state-${state}`}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}
