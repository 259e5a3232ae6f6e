import { useCallback } from 'react';
import type { FleetEvent } from '../api/event-stream.js';
import { useFleetEvents } from '../api/use-fleet-events.js';
import { useAction, useResource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { ProgressBar } from '../commands/progress-bar.js';
import { useI18n } from '../i18n/i18n-context.js';
import { ErrorNotice, isMissingEndpoint, UnavailableNotice } from '../ui/error-notice.js';
import { LiveIndicator } from '../ui/live-indicator.js';
import { PageHeader } from '../ui/page-header.js';
import { StateBadge } from '../ui/status-badge.js';
import { TimeText } from '../ui/time-text.js';
import { DEPLOYMENT_STATES, getRollout, rolloutAction } from './firmware-api.js';
import { rolloutStateLabel } from './state-label.js';

const FINISHED = new Set(['succeeded', 'failed', 'canceled', 'aborted', 'completed']);

export function RolloutPage({ id }: { id: string }) {
  const { t } = useI18n();
  const session = useSession();
  const { api, tenantId } = session;
  const rollout = useResource(
    (signal) => getRollout(api, id, signal),
    `${tenantId ?? ''}:rollout:${id}`,
  );
  const reload = rollout.reload;
  const onEvent = useCallback(
    (event: FleetEvent) => {
      if (event.kind === 'rollout.progress' && event.rolloutId === id) reload();
    },
    [id, reload],
  );
  const live = useFleetEvents(['rollout.progress'], onEvent);
  const act = useAction(async (action: 'pause' | 'resume' | 'cancel') => {
    rollout.setData(await rolloutAction(api, id, action));
  });

  if (rollout.error) {
    return isMissingEndpoint(rollout.error) ? (
      <>
        <PageHeader title={t('firmware.detail', { name: id })} />
        <UnavailableNotice error={rollout.error} />
      </>
    ) : (
      <ErrorNotice error={rollout.error} onRetry={rollout.reload} />
    );
  }
  if (!rollout.data) return <p>{t('app.loading')}</p>;
  const r = rollout.data;
  const manage = session.can('firmware.manage') && !FINISHED.has(r.state);

  return (
    <>
      <PageHeader title={t('firmware.detail', { name: r.name || r.version })}>
        <StateBadge state={r.state} label={rolloutStateLabel(t, r.state, 'rollout')} />
        <LiveIndicator state={live} />
        {manage && r.state !== 'paused' ? (
          <button
            type="button"
            className="button"
            disabled={act.busy}
            onClick={() => void act.run('pause')}
          >
            {t('firmware.pause')}
          </button>
        ) : null}
        {manage && r.state === 'paused' ? (
          <button
            type="button"
            className="button primary"
            disabled={act.busy}
            onClick={() => void act.run('resume')}
          >
            {t('firmware.resume')}
          </button>
        ) : null}
        {manage ? (
          <button
            type="button"
            className="button danger"
            disabled={act.busy}
            onClick={() => {
              if (window.confirm(t('firmware.cancelConfirm'))) void act.run('cancel');
            }}
          >
            {t('firmware.cancel')}
          </button>
        ) : null}
      </PageHeader>
      {act.error ? <ErrorNotice error={act.error} /> : null}
      <section className="panel" aria-labelledby="rollout-facts">
        <h2 id="rollout-facts">{t('app.details')}</h2>
        <dl className="facts">
          <dt>{t('firmware.release')}</dt>
          <dd className="mono">{r.version}</dd>
          <dt>{t('firmware.selector')}</dt>
          <dd className="mono">{r.selector}</dd>
          {r.stateReason ? (
            <>
              <dt>{t('firmware.state')}</dt>
              <dd>{r.stateReason}</dd>
            </>
          ) : null}
          <dt>{t('firmware.created')}</dt>
          <dd>
            <TimeText iso={r.createdAt} />
          </dd>
        </dl>
      </section>
      <section className="panel" aria-labelledby="rollout-waves">
        <h2 id="rollout-waves">{t('firmware.progress')}</h2>
        {r.waves.map((w) => (
          <div key={w.index} data-wave={w.index}>
            <h3>
              {t('firmware.previewTitle', { n: w.index })} · {w.spec} · {w.size}{' '}
              {t('firmware.gateways')} <StateBadge state={w.state} label={w.state} />
            </h3>
            <ProgressBar
              counts={w.counts}
              total={w.size}
              states={DEPLOYMENT_STATES}
              labelPrefix="deploy"
            />
          </div>
        ))}
      </section>
    </>
  );
}
