import { useI18n } from '../i18n/i18n-context.js';
import type { MessageKey } from '../i18n/messages-en.js';

/** A stacked bar of counts by state, with the same counts as text. */
export function ProgressBar({
  counts,
  total,
  states,
  labelPrefix,
}: {
  counts: Readonly<Record<string, number | undefined>>;
  total: number;
  states: readonly string[];
  labelPrefix: 'state' | 'deploy';
}) {
  const { t } = useI18n();
  const label = (s: string) => t(`${labelPrefix}.${s}` as MessageKey);
  return (
    <div>
      <div className="progress" aria-hidden="true">
        {states.map((s) => {
          const n = counts[s] ?? 0;
          return n > 0 ? (
            <span
              key={s}
              className={`state-${s}`}
              style={{ width: `${(100 * n) / Math.max(total, 1)}%` }}
            />
          ) : null;
        })}
      </div>
      <ul className="counts">
        {states
          .filter((s) => (counts[s] ?? 0) > 0)
          .map((s) => (
            <li key={s} data-state={s}>
              <span className={`badge state-${s}`}>
                <span className="dot" aria-hidden="true" />
                {label(s)}: {counts[s]}
              </span>
            </li>
          ))}
      </ul>
    </div>
  );
}
