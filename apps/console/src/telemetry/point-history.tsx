import { useEffect, useMemo, useState } from 'react';
import type { DeviceProfile } from '../api/api-types.js';
import { useResource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { useI18n } from '../i18n/i18n-context.js';
import { formatDateTime } from '../i18n/formatters.js';
import type { MessageKey } from '../i18n/messages-en.js';
import { ErrorNotice } from '../ui/error-notice.js';
import { SelectField } from '../ui/fields.js';
import type { Sample } from './chart-scale.js';
import { HistoryChart } from './history-chart.js';
import type { PointHistoryPage, Reading } from './telemetry-types.js';

const RANGES: readonly { key: MessageKey; ms: number }[] = [
  { key: 'device.range1h', ms: 3600_000 },
  { key: 'device.range6h', ms: 6 * 3600_000 },
  { key: 'device.range24h', ms: 24 * 3600_000 },
  { key: 'device.range7d', ms: 7 * 24 * 3600_000 },
];
const MAX_SAMPLES = 10_000;
const NUMERIC = new Set([
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
]);

/** Points worth charting: numbers the device reports. */
export function chartablePoints(profile: DeviceProfile): DeviceProfile['points'] {
  return profile.points.filter((p) => NUMERIC.has(p.type) && p.access !== 'w');
}

/**
 * History of one point of one device over a chosen range; live readings (from the page's event
 * stream) are appended as they arrive, so the chart moves without refetching.
 */
export function PointHistory({
  deviceId,
  profile,
  timeZone,
  live,
  initialPoint,
}: {
  deviceId: string;
  profile: DeviceProfile;
  timeZone: string | undefined;
  /** Latest readings by point name, updated by the page's event stream. */
  live: ReadonlyMap<string, Reading>;
  initialPoint?: string;
}) {
  const { t, locale } = useI18n();
  const { api, tenantId } = useSession();
  const points = useMemo(() => chartablePoints(profile), [profile]);
  const [point, setPoint] = useState(initialPoint ?? points[0]?.name ?? '');
  const [rangeMs, setRangeMs] = useState(24 * 3600_000);
  const [to, setTo] = useState(() => Date.now());
  const from = to - rangeMs;

  useEffect(() => {
    if (!points.some((p) => p.name === point)) setPoint(points[0]?.name ?? '');
  }, [points, point]);

  const history = useResource(
    point
      ? (signal) =>
          api.get<PointHistoryPage>(
            `/api/v1/devices/${deviceId}/telemetry`,
            {
              point,
              from: new Date(from).toISOString(),
              to: new Date(to).toISOString(),
              limit: MAX_SAMPLES,
            },
            signal,
          )
      : null,
    `${tenantId ?? ''}:${deviceId}:${point}:${from}:${to}`,
  );

  const [appended, setAppended] = useState<Sample[]>([]);
  useEffect(() => {
    setAppended([]);
  }, [history.data]);
  const reading = live.get(point);
  useEffect(() => {
    if (!reading || typeof reading.value !== 'number') return;
    const sample = { t: Date.parse(reading.ts), v: reading.value };
    setAppended((list) => (list.some((s) => s.t === sample.t) ? list : [...list, sample]));
  }, [reading]);

  const samples = useMemo(() => {
    const base = (history.data?.items ?? [])
      .filter((i): i is { ts: string; value: number } => typeof i.value === 'number')
      .map((i) => ({ t: Date.parse(i.ts), v: i.value }));
    const last = base.at(-1)?.t ?? from;
    return [...base, ...appended.filter((s) => s.t > last)];
  }, [history.data, appended, from]);

  const definition = points.find((p) => p.name === point);
  const chartEnd = Math.max(to, samples.at(-1)?.t ?? to);

  if (points.length === 0) return null;
  return (
    <div>
      <div className="form-grid">
        <SelectField
          label={t('device.historyPoint')}
          value={point}
          onChange={(e) => {
            setPoint(e.target.value);
          }}
        >
          {points.map((p) => (
            <option key={p.name} value={p.name}>
              {p.description ? `${p.description} (${p.name})` : p.name}
              {p.unit ? ` [${p.unit}]` : ''}
            </option>
          ))}
        </SelectField>
        <SelectField
          label={t('device.range')}
          value={String(rangeMs)}
          onChange={(e) => {
            setRangeMs(Number(e.target.value));
            setTo(Date.now());
          }}
        >
          {RANGES.map((r) => (
            <option key={r.ms} value={r.ms}>
              {t(r.key)}
            </option>
          ))}
        </SelectField>
      </div>
      {history.error ? <ErrorNotice error={history.error} onRetry={history.reload} /> : null}
      {history.loading ? <p>{t('app.loading')}</p> : null}
      {!history.loading && !history.error && samples.length === 0 ? (
        <p className="empty">{t('device.noHistory')}</p>
      ) : null}
      {samples.length > 0 ? (
        <HistoryChart
          samples={samples}
          from={from}
          to={chartEnd}
          unit={definition?.unit}
          timeZone={timeZone}
          label={t('device.chartLabel', {
            point: definition?.description ?? point,
            from: formatDateTime(new Date(from), locale, timeZone),
            to: formatDateTime(new Date(chartEnd), locale, timeZone),
          })}
        />
      ) : null}
    </div>
  );
}
