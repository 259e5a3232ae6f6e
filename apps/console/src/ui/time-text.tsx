import { useI18n } from '../i18n/i18n-context.js';
import { formatDateTime, formatRelative } from '../i18n/formatters.js';
import { useNow } from './use-now.js';

/** A moment shown in the site's time zone, optionally with how long ago it was. */
export function TimeText({
  iso,
  timeZone,
  relative = false,
  seconds = false,
}: {
  iso: string | null | undefined;
  timeZone?: string;
  relative?: boolean;
  seconds?: boolean;
}) {
  const { locale, t } = useI18n();
  const now = useNow(relative ? 15_000 : 0);
  if (!iso) return <span className="muted">{t('app.never')}</span>;
  const absolute = formatDateTime(iso, locale, timeZone, { seconds });
  if (!relative) return <time dateTime={iso}>{absolute}</time>;
  return (
    <time dateTime={iso} className="time-relative">
      <span>{formatRelative(iso, now, locale)}</span>
      <span className="muted small">{absolute}</span>
    </time>
  );
}
