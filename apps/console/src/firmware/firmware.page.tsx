import { useEffect, useState } from 'react';
import type { SubmitEvent } from 'react';
import { countMatches, type Matches } from '../api/count-matches.js';
import type { Gateway } from '../api/api-types.js';
import { useAction, useResource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { GATEWAY_KEYS, parseSelectorText } from '../fleet/selector-text.js';
import { useI18n } from '../i18n/i18n-context.js';
import { formatNumber } from '../i18n/formatters.js';
import { Link, useRouter } from '../routing/router.js';
import { routePath } from '../routing/route-match.js';
import { ErrorNotice, isMissingEndpoint, UnavailableNotice } from '../ui/error-notice.js';
import { CheckboxField, SelectField, TextField } from '../ui/fields.js';
import { PageHeader } from '../ui/page-header.js';
import { StateBadge } from '../ui/status-badge.js';
import { TimeText } from '../ui/time-text.js';
import {
  createRollout,
  listReleases,
  listRollouts,
  previewRollout,
  type FirmwareRelease,
  type RolloutCreate,
} from './firmware-api.js';
import { rolloutStateLabel } from './state-label.js';
import { parseWaves, planWaves } from './wave-plan.js';

const COUNT_CAP = 20_000;

export function FirmwarePage() {
  const { t, locale } = useI18n();
  const session = useSession();
  const { api, tenantId } = session;
  const releases = useResource((signal) => listReleases(api, signal), `${tenantId ?? ''}:releases`);
  const rollouts = useResource((signal) => listRollouts(api, signal), `${tenantId ?? ''}:rollouts`);

  return (
    <>
      <PageHeader title={t('firmware.title')} />
      <section className="panel" aria-labelledby="fw-releases">
        <h2 id="fw-releases">{t('firmware.releases')}</h2>
        {releases.error ? (
          isMissingEndpoint(releases.error) ? (
            <UnavailableNotice error={releases.error} />
          ) : (
            <ErrorNotice error={releases.error} onRetry={releases.reload} />
          )
        ) : null}
        {releases.data?.items.length === 0 ? (
          <p className="empty">{t('firmware.noReleases')}</p>
        ) : null}
        {releases.data && releases.data.items.length > 0 ? (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('firmware.version')}</th>
                  <th scope="col">{t('firmware.models')}</th>
                  <th scope="col" className="num">
                    {t('firmware.size')}
                  </th>
                  <th scope="col">{t('firmware.signature')}</th>
                  <th scope="col">{t('firmware.uploaded')}</th>
                </tr>
              </thead>
              <tbody>
                {releases.data.items.map((r) => (
                  <tr key={r.id}>
                    <th scope="row" className="mono">
                      {r.version}
                      {r.releaseNotes ? (
                        <span className="muted small block">{r.releaseNotes}</span>
                      ) : null}
                    </th>
                    <td>{r.models.join(', ')}</td>
                    <td className="num">{formatNumber(r.size / 1_048_576, locale, 1)} MB</td>
                    <td>
                      <StateBadge
                        state={r.signature.keyRevoked ? 'failed' : 'succeeded'}
                        label={
                          r.signature.keyRevoked
                            ? t('firmware.signatureInvalid', { key: r.signature.keyId })
                            : t('firmware.signatureValid', { key: r.signature.keyId })
                        }
                      />
                    </td>
                    <td>
                      <TimeText iso={r.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      {session.can('firmware.manage') && releases.data && releases.data.items.length > 0 ? (
        <RolloutForm releases={releases.data.items} />
      ) : null}

      <section className="panel" aria-labelledby="fw-rollouts">
        <h2 id="fw-rollouts">{t('firmware.rollouts')}</h2>
        {rollouts.error ? (
          isMissingEndpoint(rollouts.error) ? (
            <UnavailableNotice error={rollouts.error} />
          ) : (
            <ErrorNotice error={rollouts.error} onRetry={rollouts.reload} />
          )
        ) : null}
        {rollouts.data?.items.length === 0 ? (
          <p className="empty">{t('firmware.noRollouts')}</p>
        ) : null}
        {rollouts.data && rollouts.data.items.length > 0 ? (
          <ul className="plain-list">
            {rollouts.data.items.map((r) => (
              <li key={r.id}>
                <Link to={routePath({ name: 'rollout', id: r.id })}>
                  {r.name || r.version} · <span className="mono">{r.selector}</span>
                </Link>{' '}
                <StateBadge state={r.state} label={rolloutStateLabel(t, r.state, 'rollout')} />{' '}
                <TimeText iso={r.createdAt} />
              </li>
            ))}
          </ul>
        ) : null}
      </section>
    </>
  );
}

function RolloutForm({ releases }: { releases: FirmwareRelease[] }) {
  const { t } = useI18n();
  const { api, tenantId } = useSession();
  const { navigate } = useRouter();
  const usable = releases.filter((r) => !r.signature.keyRevoked && !r.recalledAt);
  const [form, setForm] = useState({
    releaseId: usable[0]?.id ?? '',
    selector: '',
    waves: '1%,10%,50%,100%',
    success: '95',
    failure: '10',
    minSample: '5',
    maxConcurrent: '50',
    cron: '',
    duration: '240',
    zone: 'Asia/Ho_Chi_Minh',
    allowDowngrade: false,
    includeLateJoiners: false,
  });
  const set = (key: keyof typeof form) => (e: { target: { value: string } }) => {
    setForm((f) => ({ ...f, [key]: e.target.value }));
  };
  const parsedSelector = parseSelectorText(form.selector, GATEWAY_KEYS);
  const [counted, setCounted] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => {
      setCounted(form.selector.trim());
    }, 400);
    return () => {
      clearTimeout(timer);
    };
  }, [form.selector]);
  const release = usable.find((r) => r.id === form.releaseId);
  // Only gateways of a model the release supports can take part.
  const effective = [counted, release ? `model=${release.models.join('|')}` : '']
    .filter(Boolean)
    .join(',');
  const matches = useResource<Matches<Gateway>>(
    parsedSelector.ok && release
      ? (signal) => countMatches<Gateway>(api, '/api/v1/gateways', effective, signal, COUNT_CAP)
      : null,
    `${tenantId ?? ''}:rollout-match:${effective}`,
  );
  const waves = parseWaves(form.waves);
  const total = matches.data?.items.length ?? 0;
  const plan = waves.ok ? planWaves(total, waves.steps) : [];

  const body = (): RolloutCreate => ({
    releaseId: form.releaseId,
    selector: counted,
    waves: form.waves
      .split(',')
      .map((w) => w.trim())
      .filter(Boolean),
    successThresholdPercent: Number(form.success),
    failureThreshold: {
      percent: Number(form.failure),
      minSample: Number(form.minSample),
      action: 'pause',
    },
    maxConcurrent: Number(form.maxConcurrent),
    maintenanceWindow: form.cron.trim()
      ? { cron: form.cron.trim(), durationMinutes: Number(form.duration), timeZone: form.zone }
      : undefined,
    allowDowngrade: form.allowDowngrade,
    includeLateJoiners: form.includeLateJoiners,
  });
  // The server's preview applies every eligibility rule (model, hardware, version, downgrade).
  const preview = useResource(
    release && waves.ok && parsedSelector.ok && counted !== ''
      ? () => previewRollout(api, body())
      : null,
    `${tenantId ?? ''}:preview:${JSON.stringify(body())}`,
  );
  const create = useAction(async () => {
    const rollout = await createRollout(api, body());
    navigate(routePath({ name: 'rollout', id: rollout.id }));
  });
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    if (waves.ok && parsedSelector.ok && release) void create.run();
  };
  const problem = (field: string) => create.error?.problemFor(field);

  return (
    <section className="panel" aria-labelledby="fw-new">
      <h2 id="fw-new">{t('firmware.newRollout')}</h2>
      <form onSubmit={onSubmit} noValidate>
        <div className="form-grid">
          <SelectField
            label={t('firmware.release')}
            name="releaseId"
            value={form.releaseId}
            onChange={set('releaseId')}
            error={problem('releaseId')}
          >
            {usable.map((r) => (
              <option key={r.id} value={r.id}>
                {r.version} ({r.models.join(', ')})
              </option>
            ))}
          </SelectField>
          <TextField
            label={t('firmware.selector')}
            name="selector"
            className="mono"
            spellCheck={false}
            value={form.selector}
            onChange={set('selector')}
            help={t('fleet.selectorHelp', { keys: GATEWAY_KEYS.join(', ') })}
            error={parsedSelector.ok ? problem('selector') : parsedSelector.error}
          />
          <TextField
            label={t('firmware.waves')}
            name="waves"
            className="mono"
            value={form.waves}
            onChange={set('waves')}
            help={t('firmware.wavesHelp')}
            error={
              waves.ok ? problem('waves') : t('firmware.wavesInvalid', { reason: waves.error })
            }
          />
          <TextField
            label={t('firmware.successThreshold')}
            name="success"
            type="number"
            min={0}
            max={100}
            value={form.success}
            onChange={set('success')}
            error={problem('successThresholdPercent')}
          />
          <TextField
            label={t('firmware.failureThreshold')}
            name="failure"
            type="number"
            min={0}
            max={100}
            value={form.failure}
            onChange={set('failure')}
            error={problem('failureThreshold.percent')}
          />
          <TextField
            label={t('firmware.minSample')}
            name="minSample"
            type="number"
            min={1}
            value={form.minSample}
            onChange={set('minSample')}
            error={problem('failureThreshold.minSample')}
          />
          <TextField
            label={t('firmware.maxConcurrent')}
            name="maxConcurrent"
            type="number"
            min={1}
            value={form.maxConcurrent}
            onChange={set('maxConcurrent')}
            error={problem('maxConcurrent')}
          />
        </div>
        <fieldset>
          <legend>{t('firmware.window')}</legend>
          <p className="help">{t('firmware.windowHelp')}</p>
          <div className="form-grid">
            <TextField
              label={t('firmware.windowCron')}
              name="cron"
              className="mono"
              placeholder="0 8 * * *"
              value={form.cron}
              onChange={set('cron')}
              error={problem('maintenanceWindow.cron')}
            />
            <TextField
              label={t('firmware.windowDuration')}
              name="duration"
              type="number"
              min={1}
              value={form.duration}
              onChange={set('duration')}
              error={problem('maintenanceWindow.durationMinutes')}
            />
            <TextField
              label={t('firmware.windowZone')}
              name="zone"
              value={form.zone}
              onChange={set('zone')}
              error={problem('maintenanceWindow.timeZone')}
            />
          </div>
        </fieldset>
        <CheckboxField
          label={t('firmware.allowDowngrade')}
          checked={form.allowDowngrade}
          onChange={(e) => {
            setForm((f) => ({ ...f, allowDowngrade: e.target.checked }));
          }}
        />
        <CheckboxField
          label={t('firmware.includeLater')}
          checked={form.includeLateJoiners}
          onChange={(e) => {
            setForm((f) => ({ ...f, includeLateJoiners: e.target.checked }));
          }}
        />
        <h3>{t('firmware.preview')}</h3>
        <div role="status" aria-live="polite">
          {matches.error ? <ErrorNotice error={matches.error} /> : null}
          {matches.data ? (
            <p>{t('firmware.matched', { count: matches.data.capped ? `${total}+` : total })}</p>
          ) : null}
          {preview.data ? (
            <>
              <p>
                {t('firmware.eligible', {
                  eligible: preview.data.eligible,
                  matched: preview.data.matched,
                })}
                {Object.entries(preview.data.excluded.byReason).map(([reason, n]) => (
                  <span key={reason} className="muted small block">
                    {reason}: {n}
                  </span>
                ))}
              </p>
              <ol className="wave-preview">
                {preview.data.waves.map((w, i, all) => (
                  <li key={w.index} data-wave={w.index}>
                    {t('firmware.previewWave', {
                      n: w.index,
                      count: w.size,
                      total: all.slice(0, i + 1).reduce((sum, x) => sum + x.size, 0),
                    })}
                  </li>
                ))}
              </ol>
            </>
          ) : plan.length === 0 ? (
            <p className="muted">{t('firmware.previewNone')}</p>
          ) : (
            <ol className="wave-preview">
              {plan.map((w) => (
                <li key={w.wave} data-wave={w.wave}>
                  {t('firmware.previewWave', { n: w.wave, count: w.count, total: w.cumulative })}
                </li>
              ))}
            </ol>
          )}
          {preview.error ? <ErrorNotice error={preview.error} /> : null}
        </div>
        {create.error ? (
          isMissingEndpoint(create.error) ? (
            <UnavailableNotice error={create.error} />
          ) : (
            <ErrorNotice error={create.error} />
          )
        ) : null}
        <button
          type="submit"
          className="button primary"
          disabled={create.busy || !release || !waves.ok || plan.length === 0}
        >
          {t('firmware.create')}
        </button>
      </form>
    </section>
  );
}
