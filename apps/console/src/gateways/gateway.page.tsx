import { useCallback, useMemo, useState } from 'react';
import type { Device, DeviceProfile, Gateway, Page } from '../api/api-types.js';
import type { FleetEvent } from '../api/event-stream.js';
import { useFleetEvents } from '../api/use-fleet-events.js';
import { useAction, useResource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { connectionText } from '../devices/connection-text.js';
import { HealthBadge } from '../devices/health-badge.js';
import { useI18n } from '../i18n/i18n-context.js';
import { formatReading } from '../i18n/formatters.js';
import { Link } from '../routing/router.js';
import { routePath } from '../routing/route-match.js';
import { useSites } from '../sites/use-sites.js';
import { chartablePoints, PointHistory } from '../telemetry/point-history.js';
import { useLiveReadings } from '../telemetry/use-live-readings.js';
import { ErrorNotice } from '../ui/error-notice.js';
import { SelectField } from '../ui/fields.js';
import { LiveIndicator } from '../ui/live-indicator.js';
import { PageHeader } from '../ui/page-header.js';
import { StatusBadge } from '../ui/status-badge.js';
import { TimeText } from '../ui/time-text.js';
import { RecentCommands } from '../commands/recent-commands.js';

/** Readings shown per device in the gateway's table; the device page shows them all. */
const READINGS_PER_DEVICE = 4;

export function GatewayPage({ id }: { id: string }) {
  const { t, locale } = useI18n();
  const session = useSession();
  const { api, tenantId } = session;
  const sites = useSites();
  const gateway = useResource(
    (signal) => api.get<Gateway>(`/api/v1/gateways/${id}`, {}, signal),
    `${tenantId ?? ''}:gateway:${id}`,
  );
  const devices = useResource(
    (signal) => api.get<Page<Device>>(`/api/v1/gateways/${id}/devices`, { limit: 500 }, signal),
    `${tenantId ?? ''}:gateway-devices:${id}`,
  );
  const profiles = useResource(
    (signal) => api.get<{ items: DeviceProfile[] }>('/api/v1/profiles', {}, signal),
    'profiles',
  );
  const profileById = useMemo(
    () => new Map((profiles.data?.items ?? []).map((p) => [p.id, p] as const)),
    [profiles.data],
  );
  const deviceList = devices.data?.items ?? [];
  const {
    readings,
    health,
    live: readingsLive,
  } = useLiveReadings(
    deviceList.map((d) => d.id),
    { gatewayId: id },
  );

  const setGateway = gateway.setData;
  const reloadGateway = gateway.reload;
  const onPresence = useCallback(
    (event: FleetEvent) => {
      if (event.kind === 'gateway.presence') {
        setGateway((g) =>
          g && g.lifecycle === 'active'
            ? {
                ...g,
                connectivity: event.connectivity,
                status: event.connectivity,
                connectivityChangedAt: event.at,
                lastSeenAt: event.at,
              }
            : g,
        );
      } else {
        reloadGateway();
      }
    },
    [setGateway, reloadGateway],
  );
  useFleetEvents(['gateway.presence', 'gateway.lifecycle'], onPresence, {
    filter: { gatewayId: id },
  });

  const [chartDevice, setChartDevice] = useState('');
  const chartable = deviceList.filter((d) => {
    const p = profileById.get(d.profileId);
    return p && chartablePoints(p).length > 0;
  });
  const selectedDevice = chartable.find((d) => d.id === chartDevice) ?? chartable[0];
  const selectedProfile = selectedDevice ? profileById.get(selectedDevice.profileId) : undefined;

  const lifecycle = useAction(async (action: 'approve' | 'reject' | 'revoke') => {
    const updated = await api.post<Gateway>(`/api/v1/gateways/${id}/${action}`);
    setGateway(updated);
  });

  if (gateway.error) return <ErrorNotice error={gateway.error} onRetry={gateway.reload} />;
  if (!gateway.data) return <p>{t('app.loading')}</p>;
  const g = gateway.data;
  const site = sites.byId.get(g.siteId);
  const tz = site?.timeZone;

  return (
    <>
      <PageHeader title={t('gateway.title', { name: g.name })}>
        <StatusBadge status={g.status} />
        <LiveIndicator state={readingsLive} />
        {g.lifecycle === 'pending' && session.can('gateway.provision') ? (
          <>
            <button
              type="button"
              className="button primary"
              disabled={lifecycle.busy}
              onClick={() => void lifecycle.run('approve')}
            >
              {t('provisioning.approve')}
            </button>
            <button
              type="button"
              className="button danger"
              disabled={lifecycle.busy}
              onClick={() => void lifecycle.run('reject')}
            >
              {t('provisioning.reject')}
            </button>
          </>
        ) : null}
        {g.lifecycle === 'active' && session.can('gateway.revoke') ? (
          <button
            type="button"
            className="button danger"
            disabled={lifecycle.busy}
            onClick={() => {
              if (window.confirm(t('gateway.revokeConfirm', { name: g.name }))) {
                void lifecycle.run('revoke');
              }
            }}
          >
            {t('gateway.revoke')}
          </button>
        ) : null}
      </PageHeader>
      {lifecycle.error ? <ErrorNotice error={lifecycle.error} /> : null}

      <section className="panel" aria-labelledby="gateway-facts">
        <h2 id="gateway-facts">{t('app.details')}</h2>
        <dl className="facts">
          <dt>{t('fleet.serial')}</dt>
          <dd className="mono">{g.serialNumber}</dd>
          <dt>{t('gateway.site')}</dt>
          <dd>{site ? `${site.name} (${site.timeZone})` : g.siteId}</dd>
          <dt>{t('gateway.model')}</dt>
          <dd>{g.model}</dd>
          <dt>{t('gateway.hardware')}</dt>
          <dd>{g.hardwareRevision}</dd>
          <dt>{t('gateway.agent')}</dt>
          <dd className="mono">{g.agentVersion ?? '—'}</dd>
          <dt>{t('gateway.firmware')}</dt>
          <dd className="mono">{g.firmwareVersion ?? '—'}</dd>
          <dt>{t('fleet.lastSeen')}</dt>
          <dd>
            <TimeText iso={g.lastSeenAt} timeZone={tz} relative />
          </dd>
          <dt>{t('gateway.statusSince')}</dt>
          <dd>
            <TimeText iso={g.connectivityChangedAt} timeZone={tz} />
          </dd>
          <dt>{t('gateway.enrolled')}</dt>
          <dd>
            <TimeText iso={g.createdAt} timeZone={tz} />
          </dd>
          <dt>{t('gateway.tags')}</dt>
          <dd>
            <ul className="tags">
              {g.tags.map((tag) => (
                <li key={tag}>{tag}</li>
              ))}
            </ul>
          </dd>
        </dl>
      </section>

      <section className="panel" aria-labelledby="gateway-devices">
        <h2 id="gateway-devices">
          {t('gateway.devices')} ({deviceList.length})
        </h2>
        {devices.error ? <ErrorNotice error={devices.error} onRetry={devices.reload} /> : null}
        {devices.data && deviceList.length === 0 ? (
          <p className="empty">{t('gateway.noDevices')}</p>
        ) : null}
        {deviceList.length > 0 ? (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('gateway.deviceName')}</th>
                  <th scope="col">{t('gateway.profile')}</th>
                  <th scope="col">{t('gateway.connection')}</th>
                  <th scope="col">{t('health.title')}</th>
                  <th scope="col">{t('gateway.readings')}</th>
                </tr>
              </thead>
              <tbody>
                {deviceList.map((d) => {
                  const profile = profileById.get(d.profileId);
                  const latest = readings.get(d.id);
                  const shown = (profile?.points ?? [])
                    .filter((p) => p.access !== 'w' && latest?.has(p.name))
                    .slice(0, READINGS_PER_DEVICE);
                  return (
                    <tr key={d.id} data-device={d.id}>
                      <th scope="row">
                        <Link to={routePath({ name: 'device', id: d.id })}>{d.name}</Link>
                      </th>
                      <td>{d.profileId}</td>
                      <td className="mono small">{connectionText(d.connection)}</td>
                      <td data-health>
                        <HealthBadge health={health.get(d.id)} />
                      </td>
                      <td>
                        {shown.length === 0 ? (
                          <span className="muted">{t('device.noReading')}</span>
                        ) : (
                          <ul className="tags">
                            {shown.map((p) => (
                              <li key={p.name} data-point={p.name}>
                                {p.name}:{' '}
                                {formatReading(latest?.get(p.name)?.value, p.unit, locale, {
                                  on: t('app.on'),
                                  off: t('app.off'),
                                })}
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>

      {selectedDevice && selectedProfile ? (
        <section className="panel" aria-labelledby="gateway-history">
          <h2 id="gateway-history">{t('device.history')}</h2>
          <div className="form-grid">
            <SelectField
              label={t('gateway.deviceName')}
              value={selectedDevice.id}
              onChange={(e) => {
                setChartDevice(e.target.value);
              }}
            >
              {chartable.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </SelectField>
          </div>
          <PointHistory
            key={selectedDevice.id}
            deviceId={selectedDevice.id}
            profile={selectedProfile}
            timeZone={tz}
            live={readings.get(selectedDevice.id) ?? new Map()}
          />
        </section>
      ) : null}

      <section className="panel" aria-labelledby="gateway-commands">
        <h2 id="gateway-commands">{t('gateway.recentCommands')}</h2>
        <RecentCommands
          scope={`gateway:${g.id}:${deviceList.length}`}
          only={(c) =>
            (c.target.selector ?? '').includes(g.id) ||
            (c.target.deviceIds ?? []).some((d) => deviceList.some((x) => x.id === d))
          }
          timeZone={tz}
        />
      </section>
    </>
  );
}
