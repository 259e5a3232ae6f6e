import { useId, useMemo } from 'react';
import { useI18n } from '../i18n/i18n-context.js';
import { formatDateTime, formatQuantity, formatTime } from '../i18n/formatters.js';
import { linear, segments, timeTicks, valueAxis, type Sample } from './chart-scale.js';

const W = 720;
const H = 260;
const M = { top: 12, right: 16, bottom: 28, left: 64 };

/**
 * One point's history as an SVG line over [from, to], in the site's time zone, with the same
 * readings as a table for screen readers and keyboard users.
 */
export function HistoryChart({
  samples,
  from,
  to,
  unit,
  timeZone,
  label,
}: {
  samples: readonly Sample[];
  from: number;
  to: number;
  unit: string | undefined;
  timeZone: string | undefined;
  label: string;
}) {
  const { t, locale } = useI18n();
  const titleId = useId();
  const model = useMemo(() => {
    const axis = valueAxis(samples.map((s) => s.v));
    const x = linear([from, to], [M.left, W - M.right]);
    const y = linear([axis.min, axis.max], [H - M.bottom, M.top]);
    const paths = segments(samples).map((seg) =>
      seg.map((s, i) => `${i === 0 ? 'M' : 'L'}${x(s.t).toFixed(1)} ${y(s.v).toFixed(1)}`).join(''),
    );
    const values = samples.map((s) => s.v);
    return {
      axis,
      x,
      y,
      paths,
      xTicks: timeTicks(from, to, timeZone),
      min: values.length ? Math.min(...values) : undefined,
      max: values.length ? Math.max(...values) : undefined,
      latest: samples.at(-1)?.v,
    };
  }, [samples, from, to, timeZone]);
  const long = to - from > 36 * 3600_000;
  const q = (v: number) => formatQuantity(v, unit, locale);

  return (
    <figure className="chart-figure">
      <svg viewBox={`0 0 ${W} ${H}`} className="chart" role="img" aria-labelledby={titleId}>
        <title id={titleId}>{label}</title>
        <g className="chart-grid" aria-hidden="true">
          {model.axis.ticks.map((v) => (
            <line key={v} x1={M.left} x2={W - M.right} y1={model.y(v)} y2={model.y(v)} />
          ))}
        </g>
        <g className="chart-axis" aria-hidden="true">
          <line x1={M.left} x2={M.left} y1={M.top} y2={H - M.bottom} />
          <line x1={M.left} x2={W - M.right} y1={H - M.bottom} y2={H - M.bottom} />
          {model.axis.ticks.map((v) => (
            <text key={v} x={M.left - 6} y={model.y(v) + 4} textAnchor="end">
              {q(v)}
            </text>
          ))}
          {model.xTicks.map((tick) => (
            <text key={tick} x={model.x(tick)} y={H - 8} textAnchor="middle">
              {long
                ? formatDateTime(new Date(tick), locale, timeZone, { zone: false })
                : formatTime(new Date(tick), locale, timeZone)}
            </text>
          ))}
        </g>
        {model.paths.map((d, i) => (
          <path key={i} d={d} className="chart-line" />
        ))}
        {samples.length <= 60
          ? samples.map((s) => (
              <circle key={s.t} cx={model.x(s.t)} cy={model.y(s.v)} r="2.5" className="chart-dot" />
            ))
          : null}
      </svg>
      <figcaption className="chart-stats">
        {model.min !== undefined ? <span>{t('chart.min', { value: q(model.min) })}</span> : null}
        {model.max !== undefined ? <span>{t('chart.max', { value: q(model.max) })}</span> : null}
        {model.latest !== undefined ? (
          <span>{t('chart.latest', { value: q(model.latest) })}</span>
        ) : null}
      </figcaption>
      <details>
        <summary>{t('chart.table')}</summary>
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('chart.time')}</th>
                <th scope="col" className="num">
                  {t('device.value')}
                </th>
              </tr>
            </thead>
            <tbody>
              {samples
                .slice(-200)
                .reverse()
                .map((s) => (
                  <tr key={s.t}>
                    <td>{formatDateTime(new Date(s.t), locale, timeZone, { seconds: true })}</td>
                    <td className="num">{q(s.v)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
