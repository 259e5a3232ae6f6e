import { useState } from 'react';
import type { SubmitEvent } from 'react';
import type { Site, SiteCreate } from '../api/api-types.js';
import { useAction } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { useI18n } from '../i18n/i18n-context.js';
import { formatNumber, formatTime } from '../i18n/formatters.js';
import { Link } from '../routing/router.js';
import { ErrorNotice } from '../ui/error-notice.js';
import { CheckboxField, TextField } from '../ui/fields.js';
import { PageHeader } from '../ui/page-header.js';
import { useNow } from '../ui/use-now.js';
import { useSites } from './use-sites.js';

/** Time zones the browser knows, for the picker (the server validates the name again). */
function timeZones(): string[] {
  const supported = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf;
  return supported ? supported('timeZone') : ['Asia/Ho_Chi_Minh', 'UTC'];
}

export function SitesPage() {
  const { t, locale } = useI18n();
  const session = useSession();
  const sites = useSites();
  const now = useNow(60_000);
  const [created, setCreated] = useState<Site | null>(null);

  return (
    <>
      <PageHeader title={t('sites.title')} />
      {session.can('site.manage') ? (
        <SiteForm
          onCreated={(site) => {
            setCreated(site);
            sites.reload();
          }}
        />
      ) : null}
      {created ? (
        <p className="notice notice-success" role="status">
          {t('sites.created', { name: created.name })}
        </p>
      ) : null}
      <section className="panel" aria-labelledby="sites-list">
        <h2 id="sites-list">{t('sites.title')}</h2>
        {sites.error ? <ErrorNotice error={sites.error} onRetry={sites.reload} /> : null}
        {sites.loading && !sites.data ? <p>{t('app.loading')}</p> : null}
        {sites.data?.length === 0 ? <p className="empty">{t('sites.empty')}</p> : null}
        {sites.data && sites.data.length > 0 ? (
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">{t('sites.name')}</th>
                  <th scope="col">{t('sites.timeZone')}</th>
                  <th scope="col">{t('sites.localTime')}</th>
                  <th scope="col">{t('sites.location')}</th>
                  <th scope="col">{t('sites.approval')}</th>
                  <th scope="col">{t('sites.tags')}</th>
                </tr>
              </thead>
              <tbody>
                {sites.data.map((site) => (
                  <tr key={site.id} data-site={site.id}>
                    <th scope="row">
                      <Link to={`/fleet?selector=${encodeURIComponent(`site=${site.id}`)}`}>
                        {site.name}
                      </Link>
                      <span className="muted small block mono">{site.id}</span>
                    </th>
                    <td>{site.timeZone}</td>
                    <td>{formatTime(now, locale, site.timeZone)}</td>
                    <td>
                      {site.location
                        ? `${formatNumber(site.location.latitude, locale, 4)}, ${formatNumber(
                            site.location.longitude,
                            locale,
                            4,
                          )}`
                        : '—'}
                      {site.address ? (
                        <span className="muted small block">{site.address}</span>
                      ) : null}
                    </td>
                    <td>{site.requiresApproval ? t('app.yes') : t('app.no')}</td>
                    <td>
                      <ul className="tags">
                        {site.tags.map((tag) => (
                          <li key={tag}>{tag}</li>
                        ))}
                      </ul>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}

function SiteForm({ onCreated }: { onCreated: (site: Site) => void }) {
  const { t } = useI18n();
  const { api } = useSession();
  const [form, setForm] = useState({
    id: '',
    name: '',
    timeZone: 'Asia/Ho_Chi_Minh',
    latitude: '',
    longitude: '',
    address: '',
    requiresApproval: false,
    tags: '',
  });
  const create = useAction(async () => {
    const body: SiteCreate = {
      id: form.id.trim(),
      name: form.name.trim(),
      timeZone: form.timeZone,
      requiresApproval: form.requiresApproval,
    };
    if (form.latitude.trim() !== '' || form.longitude.trim() !== '') {
      body.location = { latitude: Number(form.latitude), longitude: Number(form.longitude) };
    }
    if (form.address.trim()) body.address = form.address.trim();
    const tags = form.tags
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (tags.length) body.tags = tags;
    const site = await api.post<Site>('/api/v1/sites', body);
    setForm((f) => ({
      ...f,
      id: '',
      name: '',
      latitude: '',
      longitude: '',
      address: '',
      tags: '',
    }));
    onCreated(site);
  });
  const set =
    (key: keyof typeof form) =>
    (e: { target: { value: string } }): void => {
      setForm((f) => ({ ...f, [key]: e.target.value }));
    };
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    void create.run();
  };
  const problem = (field: string) => create.error?.problemFor(field);

  return (
    <section className="panel" aria-labelledby="site-new">
      <h2 id="site-new">{t('sites.new')}</h2>
      <form onSubmit={onSubmit} noValidate>
        <div className="form-grid">
          <TextField
            label={t('sites.id')}
            name="id"
            required
            value={form.id}
            onChange={set('id')}
            help={t('sites.idHelp')}
            error={problem('id')}
            className="mono"
          />
          <TextField
            label={t('sites.name')}
            name="name"
            required
            value={form.name}
            onChange={set('name')}
            error={problem('name')}
          />
          <TextField
            label={t('sites.timeZone')}
            name="timeZone"
            list="time-zones"
            required
            value={form.timeZone}
            onChange={set('timeZone')}
            error={problem('timeZone')}
          />
          <datalist id="time-zones">
            {timeZones().map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
          <TextField
            label={t('sites.latitude')}
            name="latitude"
            inputMode="decimal"
            value={form.latitude}
            onChange={set('latitude')}
            error={problem('location.latitude') ?? problem('location')}
          />
          <TextField
            label={t('sites.longitude')}
            name="longitude"
            inputMode="decimal"
            value={form.longitude}
            onChange={set('longitude')}
            error={problem('location.longitude')}
          />
          <TextField
            label={t('sites.address')}
            name="address"
            value={form.address}
            onChange={set('address')}
            error={problem('address')}
          />
          <TextField
            label={t('sites.tags')}
            name="tags"
            value={form.tags}
            onChange={set('tags')}
            help={t('sites.tagsHelp')}
            error={problem('tags')}
          />
        </div>
        <CheckboxField
          label={t('sites.requiresApproval')}
          name="requiresApproval"
          checked={form.requiresApproval}
          onChange={(e) => {
            setForm((f) => ({ ...f, requiresApproval: e.target.checked }));
          }}
        />
        {create.error ? <ErrorNotice error={create.error} /> : null}
        <button type="submit" className="button primary" disabled={create.busy}>
          {t('sites.create')}
        </button>
      </form>
    </section>
  );
}
