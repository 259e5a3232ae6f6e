import { useCallback, useEffect, useMemo, useState } from 'react';
import type { SubmitEvent } from 'react';
import { ApiError } from '../api/api-error.js';
import { GATEWAY_STATUSES, type Gateway, type Page } from '../api/api-types.js';
import type { FleetEvent } from '../api/event-stream.js';
import { useFleetEvents } from '../api/use-fleet-events.js';
import { useSession } from '../auth/session-context.js';
import { useI18n } from '../i18n/i18n-context.js';
import { formatTime } from '../i18n/formatters.js';
import { Link, useRouter } from '../routing/router.js';
import { routePath } from '../routing/route-match.js';
import { useSites } from '../sites/use-sites.js';
import { ErrorNotice } from '../ui/error-notice.js';
import { SelectField, TextField } from '../ui/fields.js';
import { LiveIndicator } from '../ui/live-indicator.js';
import { PageHeader } from '../ui/page-header.js';
import { StatusBadge } from '../ui/status-badge.js';
import { TimeText } from '../ui/time-text.js';
import { useNow } from '../ui/use-now.js';
import { FleetMap } from './fleet-map.js';
import {
  formatTerms,
  GATEWAY_KEYS,
  parseSelectorText,
  termValue,
  withTerm,
  type Term,
} from './selector-text.js';

const PAGE_SIZE = 200;
const FILTER_STATUSES = GATEWAY_STATUSES.filter((s) => s !== 'active');

interface GatewayList {
  items: Gateway[];
  nextCursor: string | null;
  loading: boolean;
  error?: ApiError;
}

export function FleetPage() {
  const { t, locale } = useI18n();
  const { api, tenantId } = useSession();
  const { query, setQuery } = useRouter();
  const sites = useSites();
  const now = useNow(60_000);
  const applied = query.get('selector') ?? '';
  const [draft, setDraft] = useState(applied);
  const [list, setList] = useState<GatewayList>({ items: [], nextCursor: null, loading: true });

  useEffect(() => {
    setDraft(applied);
  }, [applied]);

  const parsedDraft = parseSelectorText(draft, GATEWAY_KEYS);
  const draftTerms: Term[] = parsedDraft.ok ? parsedDraft.terms : [];

  const fetchPage = useCallback(
    async (cursor: string | null, signal?: AbortSignal) =>
      api.get<Page<Gateway>>(
        '/api/v1/gateways',
        { selector: applied, limit: PAGE_SIZE, cursor: cursor ?? undefined },
        signal,
      ),
    [api, applied],
  );

  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (!tenantId) return;
    const controller = new AbortController();
    setList({ items: [], nextCursor: null, loading: true });
    fetchPage(null, controller.signal).then(
      (page) => {
        setList({ items: page.items, nextCursor: page.nextCursor, loading: false });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setList({
          items: [],
          nextCursor: null,
          loading: false,
          error: error instanceof ApiError ? error : undefined,
        });
      },
    );
    return () => {
      controller.abort();
    };
  }, [fetchPage, tenantId, generation]);

  const loadMore = async () => {
    if (!list.nextCursor) return;
    setList((l) => ({ ...l, loading: true }));
    try {
      const page = await fetchPage(list.nextCursor);
      setList((l) => ({
        items: [...l.items, ...page.items],
        nextCursor: page.nextCursor,
        loading: false,
      }));
    } catch (error) {
      setList((l) => ({
        ...l,
        loading: false,
        error: error instanceof ApiError ? error : undefined,
      }));
    }
  };

  // Presence changes update rows in place; lifecycle changes may move a gateway in or out.
  const onEvent = useCallback((event: FleetEvent) => {
    if (event.kind === 'gateway.presence') {
      setList((l) => ({
        ...l,
        items: l.items.map((g) =>
          g.id === event.gatewayId && g.lifecycle === 'active'
            ? {
                ...g,
                connectivity: event.connectivity,
                status: event.connectivity,
                connectivityChangedAt: event.at,
                lastSeenAt: event.at,
              }
            : g,
        ),
      }));
    } else if (event.kind === 'gateway.lifecycle' || event.kind === 'gateway.enrolled') {
      setGeneration((g) => g + 1);
    }
  }, []);
  const live = useFleetEvents(
    ['gateway.presence', 'gateway.lifecycle', 'gateway.enrolled'],
    onEvent,
  );

  const apply = (text: string) => {
    setQuery({ selector: text.trim() });
  };
  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    if (parsedDraft.ok) apply(draft);
  };
  const setFilter = (key: string, value: string) => {
    const text = formatTerms(withTerm(draftTerms, key, value));
    setDraft(text);
    apply(text);
  };

  const grouped = useMemo(() => {
    const groups = new Map<string, Gateway[]>();
    for (const g of list.items) groups.set(g.siteId, [...(groups.get(g.siteId) ?? []), g]);
    return [...groups.entries()].sort(([a], [b]) =>
      (sites.byId.get(a)?.name ?? a).localeCompare(sites.byId.get(b)?.name ?? b),
    );
  }, [list.items, sites.byId]);

  const counts = useMemo(() => {
    const c = new Map<string, number>();
    for (const g of list.items) c.set(g.status, (c.get(g.status) ?? 0) + 1);
    return c;
  }, [list.items]);

  return (
    <>
      <PageHeader title={t('fleet.title')}>
        <LiveIndicator state={live} />
      </PageHeader>

      <section aria-labelledby="fleet-filters" className="panel">
        <h2 id="fleet-filters" className="visually-hidden">
          {t('fleet.filters')}
        </h2>
        <form onSubmit={onSubmit} className="selector-form">
          <TextField
            label={t('fleet.selector')}
            name="selector"
            value={draft}
            spellCheck={false}
            autoComplete="off"
            className="mono"
            placeholder="site=hcm-d3,tag=streetlight,status=online"
            onChange={(e) => {
              setDraft(e.target.value);
            }}
            help={t('fleet.selectorHelp', { keys: GATEWAY_KEYS.join(', ') })}
            error={parsedDraft.ok ? list.error?.problemFor('selector') : parsedDraft.error}
          />
          <div className="form-actions">
            <button type="submit" className="button primary" disabled={!parsedDraft.ok}>
              {t('fleet.apply')}
            </button>
            <button
              type="button"
              className="button"
              onClick={() => {
                setDraft('');
                apply('');
              }}
            >
              {t('fleet.clear')}
            </button>
          </div>
        </form>
        <div className="filter-row">
          <SelectField
            label={t('fleet.site')}
            value={termValue(draftTerms, 'site')}
            onChange={(e) => {
              setFilter('site', e.target.value);
            }}
          >
            <option value="">{t('app.any')}</option>
            {(sites.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </SelectField>
          <SelectField
            label={t('fleet.status')}
            value={termValue(draftTerms, 'status')}
            onChange={(e) => {
              setFilter('status', e.target.value);
            }}
          >
            <option value="">{t('app.any')}</option>
            {FILTER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </SelectField>
          <FilterInput
            label={t('fleet.tag')}
            value={termValue(draftTerms, 'tag')}
            onCommit={(v) => {
              setFilter('tag', v);
            }}
          />
          <FilterInput
            label={t('fleet.model')}
            value={termValue(draftTerms, 'model')}
            onCommit={(v) => {
              setFilter('model', v);
            }}
          />
        </div>
      </section>

      {list.error && !list.error.problemFor('selector') ? (
        <ErrorNotice
          error={list.error}
          onRetry={() => {
            setGeneration((g) => g + 1);
          }}
        />
      ) : null}
      {sites.error ? <ErrorNotice error={sites.error} onRetry={sites.reload} /> : null}

      <p className="summary" aria-live="polite">
        {list.loading && list.items.length === 0
          ? t('app.loading')
          : t('fleet.summary', { count: list.items.length })}
        {FILTER_STATUSES.filter((s) => counts.get(s)).map((s) => (
          <span key={s} className="summary-item">
            <StatusBadge status={s} /> {counts.get(s)}
          </span>
        ))}
      </p>

      <div className="fleet-layout">
        <section aria-labelledby="fleet-map-title" className="panel">
          <h2 id="fleet-map-title">{t('fleet.map')}</h2>
          <FleetMap sites={sites.data ?? []} gateways={list.items} />
        </section>

        <section aria-labelledby="fleet-table-title" className="panel">
          <h2 id="fleet-table-title">{t('fleet.table')}</h2>
          {!list.loading && list.items.length === 0 && !list.error ? (
            <p className="empty">{t('fleet.empty')}</p>
          ) : null}
          {grouped.length > 0 ? (
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">{t('fleet.name')}</th>
                    <th scope="col">{t('fleet.status')}</th>
                    <th scope="col">{t('fleet.lastSeen')}</th>
                    <th scope="col">{t('fleet.firmware')}</th>
                    <th scope="col" className="num">
                      {t('fleet.devices')}
                    </th>
                    <th scope="col">{t('fleet.model')}</th>
                  </tr>
                </thead>
                {grouped.map(([siteId, members]) => {
                  const site = sites.byId.get(siteId);
                  return (
                    <tbody key={siteId} data-site={siteId}>
                      <tr className="group-row">
                        <th scope="rowgroup" colSpan={6}>
                          {site?.name ?? siteId}{' '}
                          <span className="muted small">
                            · {t('fleet.siteGateways', { count: members.length })}
                            {site
                              ? ` · ${site.timeZone} · ${t('fleet.siteTime', {
                                  time: formatTime(now, locale, site.timeZone),
                                })}`
                              : ''}
                          </span>
                        </th>
                      </tr>
                      {members.map((g) => (
                        <tr key={g.id} data-gateway={g.id}>
                          <th scope="row">
                            <Link to={routePath({ name: 'gateway', id: g.id })}>{g.name}</Link>
                            <span className="muted small block mono">{g.serialNumber}</span>
                          </th>
                          <td>
                            <StatusBadge status={g.status} />
                          </td>
                          <td>
                            <TimeText iso={g.lastSeenAt} timeZone={site?.timeZone} relative />
                          </td>
                          <td className="mono">{g.firmwareVersion ?? '—'}</td>
                          <td className="num">{g.deviceCount}</td>
                          <td>
                            {g.model} <span className="muted small">{g.hardwareRevision}</span>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  );
                })}
              </table>
            </div>
          ) : null}
          {list.nextCursor ? (
            <p>
              <span className="muted">{t('fleet.more')} </span>
              <button
                type="button"
                className="button"
                onClick={() => void loadMore()}
                disabled={list.loading}
              >
                {t('app.loadMore')}
              </button>
            </p>
          ) : null}
        </section>
      </div>
    </>
  );
}

/** A text filter that applies on Enter or when focus leaves it. */
function FilterInput({
  label,
  value,
  onCommit,
}: {
  label: string;
  value: string;
  onCommit: (value: string) => void;
}) {
  const [text, setText] = useState(value);
  useEffect(() => {
    setText(value);
  }, [value]);
  const commit = () => {
    if (text.trim() !== value) onCommit(text.trim());
  };
  return (
    <TextField
      label={label}
      value={text}
      spellCheck={false}
      onChange={(e) => {
        setText(e.target.value);
      }}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          commit();
        }
      }}
    />
  );
}
