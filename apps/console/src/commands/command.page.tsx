import { useCallback, useEffect, useState } from 'react';
import type { FleetEvent } from '../api/event-stream.js';
import { ApiError } from '../api/api-error.js';
import { useFleetEvents } from '../api/use-fleet-events.js';
import { useAction, useResource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { useI18n } from '../i18n/i18n-context.js';
import { Link } from '../routing/router.js';
import { routePath } from '../routing/route-match.js';
import { ErrorNotice, isMissingEndpoint, UnavailableNotice } from '../ui/error-notice.js';
import { LiveIndicator } from '../ui/live-indicator.js';
import { PageHeader } from '../ui/page-header.js';
import { StateBadge } from '../ui/status-badge.js';
import { TimeText } from '../ui/time-text.js';
import {
  cancelCommand,
  EXECUTION_STATES,
  finished,
  getCommand,
  listResults,
  targetText,
  type ExecutionResult,
} from './commands-api.js';
import { ProgressBar } from './progress-bar.js';

export function CommandPage({ id }: { id: string }) {
  const { t } = useI18n();
  const session = useSession();
  const { api, tenantId } = session;
  const summary = useResource(
    (signal) => getCommand(api, id, signal),
    `${tenantId ?? ''}:command:${id}`,
  );
  const [results, setResults] = useState<ExecutionResult[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [resultsError, setResultsError] = useState<ApiError | undefined>(undefined);
  const [resultsGeneration, setResultsGeneration] = useState(0);

  // The command arrives with its first page of results; later pages and refreshes come here.
  const firstResults = summary.data?.results;
  useEffect(() => {
    if (!firstResults) return;
    setResults(firstResults.items);
    setCursor(firstResults.nextCursor);
  }, [firstResults]);
  useEffect(() => {
    if (resultsGeneration === 0) return;
    const controller = new AbortController();
    listResults(api, id, null, controller.signal).then(
      (page) => {
        setResults(page.items);
        setCursor(page.nextCursor);
        setResultsError(undefined);
      },
      (error: unknown) => {
        if (!controller.signal.aborted && error instanceof ApiError) setResultsError(error);
      },
    );
    return () => {
      controller.abort();
    };
  }, [api, id, resultsGeneration]);

  // Progress arrives as counts by state; the per-device table is refreshed when it settles.
  const setSummary = summary.setData;
  const onEvent = useCallback(
    (event: FleetEvent) => {
      if (event.kind !== 'command.progress' || event.commandId !== id) return;
      setSummary((s) => (s ? { ...s, counts: event.counts, done: event.done } : s));
      // Per-device results follow the counts, at most every few seconds while it runs.
      setResultsGeneration((g) => g + 1);
    },
    [id, setSummary],
  );
  const live = useFleetEvents(['command.progress'], onEvent);

  const cancel = useAction(async () => {
    setSummary(await cancelCommand(api, id));
  });

  const more = async () => {
    if (!cursor) return;
    try {
      const page = await listResults(api, id, cursor);
      setResults((r) => [...r, ...page.items]);
      setCursor(page.nextCursor);
    } catch (error) {
      if (error instanceof ApiError) setResultsError(error);
    }
  };

  if (summary.error) {
    return isMissingEndpoint(summary.error) ? (
      <>
        <PageHeader title={t('commands.detail', { name: id })} />
        <UnavailableNotice error={summary.error} />
      </>
    ) : (
      <ErrorNotice error={summary.error} onRetry={summary.reload} />
    );
  }
  if (!summary.data) return <p>{t('app.loading')}</p>;
  const c = summary.data;
  const done = finished(c);

  return (
    <>
      <PageHeader title={t('commands.detail', { name: c.command })}>
        <LiveIndicator state={live} />
        <StateBadge state={c.state} label={t(`command.${c.state}`)} />
        {session.can('command.send') && !c.done ? (
          <button
            type="button"
            className="button danger"
            disabled={cancel.busy}
            onClick={() => void cancel.run()}
          >
            {t('commands.cancel')}
          </button>
        ) : null}
      </PageHeader>
      {cancel.error ? <ErrorNotice error={cancel.error} /> : null}
      <section className="panel" aria-labelledby="command-progress">
        <h2 id="command-progress">{t('commands.progress')}</h2>
        <dl className="facts">
          <dt>{t('commands.target.selector')}</dt>
          <dd className="mono">{targetText(c.target)}</dd>
          <dt>{t('commands.parameters')}</dt>
          <dd className="mono">{JSON.stringify(c.params)}</dd>
          <dt>{t('commands.created')}</dt>
          <dd>
            <TimeText iso={c.createdAt} />
          </dd>
          <dt>{t('commands.by')}</dt>
          <dd>{c.createdBy.name ?? '—'}</dd>
        </dl>
        <p aria-live="polite">{t('commands.total', { done, total: c.total })}</p>
        <ProgressBar
          counts={c.counts}
          total={c.total}
          states={EXECUTION_STATES}
          labelPrefix="state"
        />
      </section>
      <section className="panel" aria-labelledby="command-results">
        <h2 id="command-results">{t('commands.results')}</h2>
        {resultsError ? <ErrorNotice error={resultsError} /> : null}
        {results.length > 0 ? (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('commands.device')}</th>
                  <th scope="col">{t('commands.state')}</th>
                  <th scope="col">{t('commands.result')}</th>
                </tr>
              </thead>
              <tbody>
                {results.map((r) => (
                  <tr key={r.deviceId} data-device={r.deviceId} data-state={r.state}>
                    <th scope="row">
                      <Link to={routePath({ name: 'device', id: r.deviceId })}>
                        {r.deviceName ?? r.deviceId}
                      </Link>
                    </th>
                    <td>
                      <StateBadge state={r.state} label={t(`state.${r.state}`)} />
                    </td>
                    <td className="mono small">
                      {r.error
                        ? `${r.error.code}: ${r.error.message}`
                        : r.result === undefined
                          ? ''
                          : JSON.stringify(r.result)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {cursor ? (
          <button type="button" className="button" onClick={() => void more()}>
            {t('commands.moreResults')}
          </button>
        ) : null}
      </section>
    </>
  );
}
