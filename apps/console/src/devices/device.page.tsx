import type { Device, DeviceProfile, Gateway } from '../api/api-types.js';
import { useResource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { useI18n } from '../i18n/i18n-context.js';
import { Link } from '../routing/router.js';
import { routePath } from '../routing/route-match.js';
import { useSites } from '../sites/use-sites.js';
import { PointHistory } from '../telemetry/point-history.js';
import { useLiveReadings } from '../telemetry/use-live-readings.js';
import { ErrorNotice } from '../ui/error-notice.js';
import { LiveIndicator } from '../ui/live-indicator.js';
import { PageHeader } from '../ui/page-header.js';
import { StatusBadge } from '../ui/status-badge.js';
import { connectionText } from './connection-text.js';
import { ReadingsTable } from './readings-table.js';
import { HealthBadge } from './health-badge.js';
import { TimeText } from '../ui/time-text.js';

export function DevicePage({ id }: { id: string }) {
  const { t } = useI18n();
  const { api, tenantId } = useSession();
  const sites = useSites();
  const device = useResource(
    (signal) => api.get<Device>(`/api/v1/devices/${id}`, {}, signal),
    `${tenantId ?? ''}:device:${id}`,
  );
  const profileId = device.data?.profileId;
  const gatewayId = device.data?.gatewayId;
  const profile = useResource(
    profileId
      ? (signal) => api.get<DeviceProfile>(`/api/v1/profiles/${profileId}`, {}, signal)
      : null,
    `profile:${profileId ?? ''}`,
  );
  const gateway = useResource(
    gatewayId ? (signal) => api.get<Gateway>(`/api/v1/gateways/${gatewayId}`, {}, signal) : null,
    `${tenantId ?? ''}:gateway:${gatewayId ?? ''}`,
  );
  const { readings, health, live } = useLiveReadings(device.data ? [id] : [], { deviceId: id });
  const site = device.data ? sites.byId.get(device.data.siteId) : undefined;

  if (device.error) return <ErrorNotice error={device.error} onRetry={device.reload} />;
  if (!device.data) return <p>{t('app.loading')}</p>;
  const d = device.data;

  return (
    <>
      <PageHeader title={t('device.title', { name: d.name })}>
        <LiveIndicator state={live} />
        <Link className="button" to={`/commands?selector=${encodeURIComponent(`id=${d.id}`)}`}>
          {t('device.sendCommand')}
        </Link>
      </PageHeader>
      <div className="grid-2">
        <section className="panel" aria-labelledby="device-facts">
          <h2 id="device-facts">{t('app.details')}</h2>
          <dl className="facts">
            <dt>{t('device.gateway')}</dt>
            <dd>
              <Link to={routePath({ name: 'gateway', id: d.gatewayId })}>
                {gateway.data?.name ?? d.gatewayId}
              </Link>{' '}
              {gateway.data ? <StatusBadge status={gateway.data.status} /> : null}
            </dd>
            <dt>{t('gateway.site')}</dt>
            <dd>{site ? `${site.name} (${site.timeZone})` : d.siteId}</dd>
            <dt>{t('device.profile')}</dt>
            <dd>
              {profile.data
                ? `${profile.data.vendor} ${profile.data.model} (${profile.data.id} ${profile.data.version})`
                : d.profileId}
            </dd>
            <dt>{t('health.title')}</dt>
            <dd data-health>
              <HealthBadge health={health.get(id)} />{' '}
              {health.get(id) ? (
                <TimeText iso={health.get(id)?.ts} timeZone={site?.timeZone} />
              ) : null}
            </dd>
            <dt>{t('device.connection')}</dt>
            <dd className="mono">{connectionText(d.connection)}</dd>
            <dt>{t('device.tags')}</dt>
            <dd>
              <ul className="tags">
                {d.tags.map((tag) => (
                  <li key={tag}>{tag}</li>
                ))}
              </ul>
            </dd>
            {profile.data && profile.data.commands.length > 0 ? (
              <>
                <dt>{t('device.commands')}</dt>
                <dd>{profile.data.commands.map((c) => c.name).join(', ')}</dd>
              </>
            ) : null}
          </dl>
        </section>
        <section className="panel" aria-labelledby="device-readings">
          <h2 id="device-readings">{t('gateway.readings')}</h2>
          {profile.error ? <ErrorNotice error={profile.error} /> : null}
          {profile.data ? (
            <ReadingsTable
              profile={profile.data}
              readings={readings.get(id)}
              timeZone={site?.timeZone}
            />
          ) : null}
        </section>
      </div>
      {profile.data ? (
        <section className="panel" aria-labelledby="device-history">
          <h2 id="device-history">{t('device.history')}</h2>
          <PointHistory
            deviceId={id}
            profile={profile.data}
            timeZone={site?.timeZone}
            live={readings.get(id) ?? new Map()}
          />
        </section>
      ) : null}
    </>
  );
}
