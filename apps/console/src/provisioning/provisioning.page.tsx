import { useCallback, useEffect, useState } from 'react';
import type { SubmitEvent } from 'react';
import type { Claim, Gateway, IssuedClaim, Page } from '../api/api-types.js';
import type { FleetEvent } from '../api/event-stream.js';
import { useFleetEvents } from '../api/use-fleet-events.js';
import { useAction, useResource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { useI18n } from '../i18n/i18n-context.js';
import { Link } from '../routing/router.js';
import { routePath } from '../routing/route-match.js';
import { useSites } from '../sites/use-sites.js';
import { ErrorNotice } from '../ui/error-notice.js';
import { SelectField, TextField } from '../ui/fields.js';
import { LiveIndicator } from '../ui/live-indicator.js';
import { PageHeader } from '../ui/page-header.js';
import { TimeText } from '../ui/time-text.js';
import { QrCode } from './qr-code.js';

export function ProvisioningPage() {
  const { t } = useI18n();
  const { api, tenantId } = useSession();
  const sites = useSites();
  const [siteId, setSiteId] = useState('');
  const [minutes, setMinutes] = useState('30');
  const [issued, setIssued] = useState<IssuedClaim | null>(null);
  const [copied, setCopied] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    const first = sites.data?.[0];
    if (!siteId && first) setSiteId(first.id);
  }, [sites.data, siteId]);

  const claims = useResource(
    siteId
      ? (signal) => api.get<{ items: Claim[] }>(`/api/v1/sites/${siteId}/claims`, {}, signal)
      : null,
    `claims:${tenantId ?? ''}:${siteId}`,
  );
  const pending = useResource(
    (signal) =>
      api.get<Page<Gateway>>('/api/v1/gateways', { status: 'pending', limit: 200 }, signal),
    `pending:${tenantId ?? ''}`,
  );

  const reloadPending = pending.reload;
  const reloadClaims = claims.reload;
  const onEvent = useCallback(
    (event: FleetEvent) => {
      if (event.kind === 'gateway.enrolled' || event.kind === 'gateway.lifecycle') {
        reloadPending();
        reloadClaims();
      }
    },
    [reloadPending, reloadClaims],
  );
  const live = useFleetEvents(['gateway.enrolled', 'gateway.lifecycle'], onEvent);

  const create = useAction(async () => {
    const ttl = Math.round(Number(minutes) * 60);
    const claim = await api.post<IssuedClaim>(`/api/v1/sites/${siteId}/claims`, {
      ttlSeconds: Number.isFinite(ttl) ? ttl : undefined,
    });
    setIssued(claim);
    setCopied(false);
    claims.reload();
  });
  const decide = useAction(async (gateway: Gateway, decision: 'approve' | 'reject') => {
    await api.post<Gateway>(`/api/v1/gateways/${gateway.id}/${decision}`);
    setNotice(
      t(decision === 'approve' ? 'provisioning.approved' : 'provisioning.rejected', {
        name: gateway.name,
      }),
    );
    pending.reload();
  });

  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    void create.run();
  };
  const site = sites.byId.get(issued?.siteId ?? siteId);

  return (
    <>
      <PageHeader title={t('provisioning.title')}>
        <LiveIndicator state={live} />
      </PageHeader>

      <section className="panel" aria-labelledby="claim-title">
        <h2 id="claim-title">{t('provisioning.claim')}</h2>
        {sites.data?.length === 0 ? <p className="empty">{t('provisioning.noSites')}</p> : null}
        <form onSubmit={onSubmit} className="form-grid" noValidate>
          <SelectField
            label={t('provisioning.site')}
            name="site"
            value={siteId}
            onChange={(e) => {
              setSiteId(e.target.value);
              setIssued(null);
            }}
          >
            {(sites.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </SelectField>
          <TextField
            label={t('provisioning.validFor')}
            name="minutes"
            type="number"
            min={1}
            max={7 * 24 * 60}
            value={minutes}
            onChange={(e) => {
              setMinutes(e.target.value);
            }}
            error={create.error?.problemFor('ttlSeconds')}
          />
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={!siteId || create.busy}>
              {t('provisioning.create')}
            </button>
          </div>
        </form>
        {create.error && !create.error.problemFor('ttlSeconds') ? (
          <ErrorNotice error={create.error} />
        ) : null}
        {issued ? (
          <div className="claim" data-claim={issued.id}>
            <QrCode
              text={issued.enrollCommand}
              label={t('provisioning.qr', { site: site?.name ?? issued.siteId })}
            />
            <div>
              <h3>{t('provisioning.code')}</h3>
              <p className="claim-code mono" aria-live="polite">
                {issued.code}
              </p>
              <p>
                {t('provisioning.singleUse')}{' '}
                <TimeText iso={issued.expiresAt} timeZone={site?.timeZone} />
              </p>
              <p>{t('provisioning.run')}</p>
              <code className="command-line">{issued.enrollCommand}</code>
              <p className="form-actions">
                <button
                  type="button"
                  className="button small"
                  onClick={() => {
                    navigator.clipboard.writeText(issued.enrollCommand).then(
                      () => {
                        setCopied(true);
                      },
                      () => undefined,
                    );
                  }}
                >
                  {copied ? t('app.copied') : t('app.copy')}
                </button>
                <span className="muted small">{t('provisioning.qrHelp')}</span>
              </p>
            </div>
          </div>
        ) : null}
        <h3>{t('provisioning.claims')}</h3>
        {claims.error ? <ErrorNotice error={claims.error} onRetry={claims.reload} /> : null}
        {claims.data?.items.length === 0 ? (
          <p className="empty">{t('provisioning.noClaims')}</p>
        ) : null}
        {claims.data && claims.data.items.length > 0 ? (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('provisioning.created')}</th>
                  <th scope="col">{t('provisioning.state')}</th>
                  <th scope="col">{t('provisioning.expiry')}</th>
                </tr>
              </thead>
              <tbody>
                {claims.data.items.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <TimeText iso={c.createdAt} timeZone={site?.timeZone} />
                    </td>
                    <td>
                      {t(`claim.${c.state}`)}
                      {c.gatewayId ? (
                        <>
                          {' · '}
                          <Link to={routePath({ name: 'gateway', id: c.gatewayId })}>
                            {t('fleet.name')}
                          </Link>
                        </>
                      ) : null}
                    </td>
                    <td>
                      <TimeText iso={c.expiresAt} timeZone={site?.timeZone} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      <section className="panel" aria-labelledby="pending-title">
        <h2 id="pending-title">{t('provisioning.pending')}</h2>
        {notice ? (
          <p className="notice notice-success" role="status">
            {notice}
          </p>
        ) : null}
        {decide.error ? <ErrorNotice error={decide.error} /> : null}
        {pending.error ? <ErrorNotice error={pending.error} onRetry={pending.reload} /> : null}
        {pending.data?.items.length === 0 ? (
          <p className="empty">{t('provisioning.noPending')}</p>
        ) : null}
        {pending.data && pending.data.items.length > 0 ? (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('fleet.name')}</th>
                  <th scope="col">{t('fleet.model')}</th>
                  <th scope="col">{t('fleet.site')}</th>
                  <th scope="col">{t('gateway.enrolled')}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t('app.details')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {pending.data.items.map((g) => {
                  const gatewaySite = sites.byId.get(g.siteId);
                  return (
                    <tr key={g.id} data-gateway={g.id}>
                      <th scope="row">
                        {g.name}
                        <span className="muted small block mono">{g.serialNumber}</span>
                      </th>
                      <td>
                        {g.model} <span className="muted small">{g.hardwareRevision}</span>
                      </td>
                      <td>{gatewaySite?.name ?? g.siteId}</td>
                      <td>
                        <TimeText iso={g.createdAt} timeZone={gatewaySite?.timeZone} />
                      </td>
                      <td className="form-actions">
                        <button
                          type="button"
                          className="button small primary"
                          disabled={decide.busy}
                          aria-label={`${t('provisioning.approve')} ${g.name}`}
                          onClick={() => void decide.run(g, 'approve')}
                        >
                          {t('provisioning.approve')}
                        </button>
                        <button
                          type="button"
                          className="button small danger"
                          disabled={decide.busy}
                          aria-label={`${t('provisioning.reject')} ${g.name}`}
                          onClick={() => void decide.run(g, 'reject')}
                        >
                          {t('provisioning.reject')}
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}
