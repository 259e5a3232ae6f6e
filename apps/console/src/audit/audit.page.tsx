import { useEffect, useState } from 'react';
import type { SubmitEvent } from 'react';
import { ApiError } from '../api/api-error.js';
import type { AuditEntry, AuditOutcome, Page } from '../api/api-types.js';
import { useSession } from '../auth/session-context.js';
import { useI18n } from '../i18n/i18n-context.js';
import { useRouter } from '../routing/router.js';
import { ErrorNotice } from '../ui/error-notice.js';
import { SelectField, TextField } from '../ui/fields.js';
import { PageHeader } from '../ui/page-header.js';
import { StateBadge } from '../ui/status-badge.js';
import { TimeText } from '../ui/time-text.js';

const FILTERS = ['q', 'actor', 'action', 'outcome', 'targetId', 'from', 'to'] as const;
type Filters = Record<(typeof FILTERS)[number], string>;
const OUTCOMES: readonly AuditOutcome[] = ['success', 'denied', 'failure'];

/** `datetime-local` values are local wall time; the API wants instants. */
function toInstant(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function AuditPage() {
  const { t } = useI18n();
  const { api, tenantId } = useSession();
  const { query, setQuery } = useRouter();
  const applied = Object.fromEntries(FILTERS.map((k) => [k, query.get(k) ?? ''])) as Filters;
  const appliedKey = FILTERS.map((k) => applied[k]).join('\u0000');
  const [draft, setDraft] = useState<Filters>(applied);
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | undefined>(undefined);

  const fetchPage = (after: string | null, signal?: AbortSignal) =>
    api.get<Page<AuditEntry>>(
      '/api/v1/audit',
      {
        ...applied,
        from: toInstant(applied.from),
        to: toInstant(applied.to),
        limit: 100,
        cursor: after ?? undefined,
      },
      signal,
    );

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    fetchPage(null, controller.signal).then(
      (page) => {
        setEntries(page.items);
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setEntries([]);
        setCursor(null);
        setError(failure instanceof ApiError ? failure : undefined);
        setLoading(false);
      },
    );
    return () => {
      controller.abort();
    };
    // fetchPage is rebuilt every render; what matters is the applied filters and the tenant.
  }, [appliedKey, tenantId]);

  const loadMore = async () => {
    if (!cursor) return;
    setLoading(true);
    try {
      const page = await fetchPage(cursor);
      setEntries((e) => [...e, ...page.items]);
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure : undefined);
    } finally {
      setLoading(false);
    }
  };

  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    setQuery({ ...draft });
  };
  const set = (key: keyof Filters) => (e: { target: { value: string } }) => {
    setDraft((d) => ({ ...d, [key]: e.target.value }));
  };

  return (
    <>
      <PageHeader title={t('audit.title')} />
      <section className="panel" aria-labelledby="audit-search">
        <h2 id="audit-search" className="visually-hidden">
          {t('fleet.filters')}
        </h2>
        <form onSubmit={onSubmit} role="search" noValidate>
          <div className="form-grid">
            <TextField
              label={t('audit.search')}
              name="q"
              type="search"
              value={draft.q}
              onChange={set('q')}
              help={t('audit.searchHelp')}
              error={error?.problemFor('q')}
            />
            <TextField
              label={t('audit.actor')}
              name="actor"
              value={draft.actor}
              onChange={set('actor')}
              error={error?.problemFor('actor')}
            />
            <TextField
              label={t('audit.action')}
              name="action"
              value={draft.action}
              onChange={set('action')}
              error={error?.problemFor('action')}
            />
            <SelectField
              label={t('audit.outcome')}
              name="outcome"
              value={draft.outcome}
              onChange={set('outcome')}
            >
              <option value="">{t('app.any')}</option>
              {OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {t(`outcome.${o}`)}
                </option>
              ))}
            </SelectField>
            <TextField
              label={t('audit.target')}
              name="targetId"
              value={draft.targetId}
              onChange={set('targetId')}
              error={error?.problemFor('targetId')}
            />
            <TextField
              label={t('audit.from')}
              name="from"
              type="datetime-local"
              value={draft.from}
              onChange={set('from')}
              error={error?.problemFor('from')}
            />
            <TextField
              label={t('audit.to')}
              name="to"
              type="datetime-local"
              value={draft.to}
              onChange={set('to')}
              error={error?.problemFor('to')}
            />
          </div>
          <button type="submit" className="button primary">
            {t('audit.submit')}
          </button>
        </form>
      </section>

      <section className="panel" aria-labelledby="audit-results">
        <h2 id="audit-results">{t('audit.results')}</h2>
        {error ? <ErrorNotice error={error} /> : null}
        {loading && entries.length === 0 ? <p>{t('app.loading')}</p> : null}
        {!loading && !error && entries.length === 0 ? (
          <p className="empty">{t('audit.empty')}</p>
        ) : null}
        {entries.length > 0 ? (
          <div className="table-scroll">
            <table className="table" aria-describedby="audit-results">
              <thead>
                <tr>
                  <th scope="col">{t('audit.time')}</th>
                  <th scope="col">{t('audit.actor')}</th>
                  <th scope="col">{t('audit.action')}</th>
                  <th scope="col">{t('audit.target')}</th>
                  <th scope="col">{t('audit.outcome')}</th>
                  <th scope="col">{t('audit.request')}</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id} data-action={e.action}>
                    <td>
                      <TimeText iso={e.at} seconds />
                    </td>
                    <td>{e.actorName ?? '—'}</td>
                    <th scope="row" className="mono">
                      {e.action}
                      <span className="muted small block">
                        {e.method} {e.path}
                      </span>
                    </th>
                    <td className="mono small">
                      {e.targetType ? `${e.targetType}: ` : ''}
                      {e.targetId ?? '—'}
                    </td>
                    <td>
                      <StateBadge
                        state={e.outcome === 'success' ? 'succeeded' : 'failed'}
                        label={`${t(`outcome.${e.outcome}`)} · ${e.statusCode}`}
                      />
                    </td>
                    <td className="mono small">{e.requestId}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {cursor ? (
          <button
            type="button"
            className="button"
            onClick={() => void loadMore()}
            disabled={loading}
          >
            {t('app.loadMore')}
          </button>
        ) : null}
      </section>
    </>
  );
}
