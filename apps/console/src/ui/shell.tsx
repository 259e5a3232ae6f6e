import { useEffect, useId, useRef } from 'react';
import type { ReactNode } from 'react';
import { useSession } from '../auth/session-context.js';
import type { Capability } from '../auth/permissions.js';
import { useI18n } from '../i18n/i18n-context.js';
import type { MessageKey } from '../i18n/messages-en.js';
import { Link, useRouter } from '../routing/router.js';
import type { Route } from '../routing/route-match.js';
import { LanguageSwitch } from './language-switch.js';
import { focusPageHeading } from './page-header.js';

interface NavItem {
  path: string;
  label: MessageKey;
  /** Route names that belong to this section (for aria-current). */
  sections: readonly Route['name'][];
  needs?: Capability;
}

const NAV: readonly NavItem[] = [
  { path: '/fleet', label: 'nav.fleet', sections: ['fleet', 'gateway', 'device'] },
  { path: '/sites', label: 'nav.sites', sections: ['sites'] },
  { path: '/commands', label: 'nav.commands', sections: ['commands', 'command'] },
  { path: '/firmware', label: 'nav.firmware', sections: ['firmware', 'rollout'] },
  {
    path: '/provisioning',
    label: 'nav.provisioning',
    sections: ['provisioning'],
    needs: 'gateway.provision',
  },
  { path: '/audit', label: 'nav.audit', sections: ['audit'], needs: 'audit.read' },
];

/** Header, navigation and main landmark; sections a role cannot use are not offered. */
export function Shell({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const session = useSession();
  const { route, location } = useRouter();
  const principal = session.principal;
  const tenantFieldId = useId();
  const shownPath = useRef(location.pathname);

  // After each navigation (not on the first load), focus the new page's heading so keyboard and
  // screen-reader users start reading there.
  useEffect(() => {
    if (shownPath.current === location.pathname) return;
    shownPath.current = location.pathname;
    focusPageHeading();
  }, [location.pathname]);

  const items = NAV.filter((item) => !item.needs || session.can(item.needs));

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header className="topbar">
        <Link to="/fleet" className="brand">
          {t('app.title')}
        </Link>
        <div className="topbar-tools">
          {principal?.platformAdmin ? (
            <div className="inline-field">
              <label htmlFor={tenantFieldId}>{t('session.tenant')}</label>
              <select
                id={tenantFieldId}
                value={session.tenantId ?? ''}
                onChange={(e) => {
                  session.chooseTenant(e.target.value);
                }}
              >
                {session.tenants.length === 0 ? (
                  <option value="">{t('session.chooseTenant')}</option>
                ) : null}
                {session.tenants.map((tenant) => (
                  <option key={tenant.id} value={tenant.id}>
                    {tenant.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <LanguageSwitch />
          {principal ? (
            <span className="who">
              {t('session.signedInAs', { user: principal.username })}
              <span className="muted small block">
                {principal.platformAdmin ? t('session.platform') : t(`role.${principal.role}`)}
              </span>
            </span>
          ) : null}
          <button type="button" className="button" onClick={() => void session.signOut()}>
            {t('session.signOut')}
          </button>
        </div>
      </header>
      <nav className="sidenav" aria-label={t('nav.label')}>
        <ul>
          {items.map((item) => (
            <li key={item.path}>
              <Link
                to={item.path}
                aria-current={item.sections.includes(route.name) ? 'page' : undefined}
              >
                {t(item.label)}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {session.tenantId ? children : <p className="notice">{t('session.noTenant')}</p>}
      </main>
    </div>
  );
}
