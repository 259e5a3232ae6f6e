import { useId, useMemo } from 'react';
import type { MouseEvent } from 'react';
import type { Gateway, GatewayStatus, Site } from '../api/api-types.js';
import { useI18n } from '../i18n/i18n-context.js';
import { useRouter } from '../routing/router.js';
import { routePath } from '../routing/route-match.js';
import { projector, ringPositions, type Point } from './map-projection.js';

const VIEW = { width: 800, height: 440, padding: 70 };
const LEGEND: readonly GatewayStatus[] = ['online', 'offline', 'pending', 'rejected', 'revoked'];

interface PlacedSite {
  site: Site;
  at: Point;
  gateways: { gateway: Gateway; at: Point }[];
}

/**
 * Sites and gateways drawn from registry coordinates as plain SVG: no tiles, nothing fetched.
 * Gateways ring their site, coloured by status; each one is a link to its page.
 */
export function FleetMap({
  sites,
  gateways,
}: {
  sites: readonly Site[];
  gateways: readonly Gateway[];
}) {
  const { t } = useI18n();
  const { navigate } = useRouter();
  const titleId = useId();
  const descId = useId();

  const { placed, missing } = useMemo(() => {
    const located = sites.filter((s) => s.location !== null);
    const project = projector(
      located.map((s) => s.location!),
      VIEW,
    );
    const bySite = new Map<string, Gateway[]>();
    for (const g of gateways) bySite.set(g.siteId, [...(bySite.get(g.siteId) ?? []), g]);
    const placedSites: PlacedSite[] = located.map((site) => {
      const at = project(site.location!);
      const members = bySite.get(site.id) ?? [];
      const spots = ringPositions(at, members.length, 22);
      return {
        site,
        at,
        gateways: members.map((gateway, i) => ({ gateway, at: spots[i] ?? at })),
      };
    });
    const withGateways = new Set(gateways.map((g) => g.siteId));
    return {
      placed: placedSites,
      missing: sites.filter((s) => s.location === null && withGateways.has(s.id)),
    };
  }, [sites, gateways]);

  const follow = (path: string) => (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(path);
  };

  return (
    <figure className="fleet-map">
      {placed.length === 0 ? (
        <p className="muted">{t('fleet.mapEmpty')}</p>
      ) : (
        <svg
          viewBox={`0 0 ${VIEW.width} ${VIEW.height}`}
          role="group"
          aria-labelledby={titleId}
          aria-describedby={descId}
          className="map-svg"
        >
          <title id={titleId}>{t('fleet.map')}</title>
          <desc id={descId}>{t('fleet.mapDescription')}</desc>
          <rect className="map-bg" x="0" y="0" width={VIEW.width} height={VIEW.height} rx="8" />
          <g className="map-grid" aria-hidden="true">
            {Array.from({ length: 9 }, (_, i) => (
              <line key={`v${i}`} x1={(i + 1) * 80} y1="0" x2={(i + 1) * 80} y2={VIEW.height} />
            ))}
            {Array.from({ length: 5 }, (_, i) => (
              <line key={`h${i}`} x1="0" y1={(i + 1) * 80} x2={VIEW.width} y2={(i + 1) * 80} />
            ))}
          </g>
          {placed.map(({ site, at, gateways: members }) => (
            <g key={site.id} className="map-site" data-site={site.id}>
              {members.map(({ gateway, at: spot }) => (
                <line
                  key={`l-${gateway.id}`}
                  className="map-link"
                  x1={at.x}
                  y1={at.y}
                  x2={spot.x}
                  y2={spot.y}
                  aria-hidden="true"
                />
              ))}
              <circle className="map-site-marker" cx={at.x} cy={at.y} r="9" aria-hidden="true" />
              <text className="map-site-label" x={at.x} y={at.y + 44} textAnchor="middle">
                {site.name}
              </text>
              {members.map(({ gateway, at: spot }) => {
                const path = routePath({ name: 'gateway', id: gateway.id });
                return (
                  <a
                    key={gateway.id}
                    href={path}
                    onClick={follow(path)}
                    aria-label={`${gateway.name} — ${t(`status.${gateway.status}`)} — ${site.name}`}
                    className="map-gateway-link"
                  >
                    <circle
                      className={`map-gateway status-${gateway.status}`}
                      data-status={gateway.status}
                      cx={spot.x}
                      cy={spot.y}
                      r="7"
                    />
                  </a>
                );
              })}
            </g>
          ))}
        </svg>
      )}
      <figcaption>
        <span className="visually-hidden">{t('fleet.legend')}: </span>
        <ul className="legend">
          {LEGEND.map((status) => (
            <li key={status}>
              <svg width="12" height="12" aria-hidden="true">
                <circle className={`map-gateway status-${status}`} cx="6" cy="6" r="5" />
              </svg>
              {t(`status.${status}`)}
            </li>
          ))}
        </ul>
        {missing.length > 0 ? (
          <p className="muted small">
            {t('fleet.mapMissing', { sites: missing.map((s) => s.name).join(', ') })}
          </p>
        ) : null}
      </figcaption>
    </figure>
  );
}
