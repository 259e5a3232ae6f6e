import { useI18n } from '../i18n/i18n-context.js';
import type { MessageKey } from '../i18n/messages-en.js';
import type { DeviceHealth } from '../telemetry/use-live-readings.js';
import { StateBadge } from '../ui/status-badge.js';

const KNOWN: Readonly<Record<string, { key: MessageKey; tone: string }>> = {
  online: { key: 'health.online', tone: 'succeeded' },
  suspect: { key: 'health.suspect', tone: 'queued' },
  offline: { key: 'health.offline', tone: 'failed' },
};

/** Whether the gateway reaches the device on its bus, as the gateway last reported. */
export function HealthBadge({ health }: { health: DeviceHealth | undefined }) {
  const { t } = useI18n();
  if (!health) return <span className="muted">{t('health.unknown')}</span>;
  const known = KNOWN[health.state];
  return (
    <StateBadge state={known?.tone ?? 'unknown'} label={known ? t(known.key) : health.state} />
  );
}
