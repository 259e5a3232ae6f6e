import { LoginPage } from './auth/login.page.js';
import { SessionProvider, useSession } from './auth/session-context.js';
import { lazy, Suspense } from 'react';
import { FleetPage } from './fleet/fleet.page.js';
import { I18nProvider, useI18n } from './i18n/i18n-context.js';
import { RouterProvider, Link, useRouter } from './routing/router.js';
import { PageHeader } from './ui/page-header.js';
import { Shell } from './ui/shell.js';

// The fleet, where everyone starts, ships in the main bundle; other pages load on first visit.
const SitesPage = lazy(() =>
  import('./sites/sites.page.js').then((m) => ({ default: m.SitesPage })),
);
const GatewayPage = lazy(() =>
  import('./gateways/gateway.page.js').then((m) => ({ default: m.GatewayPage })),
);
const DevicePage = lazy(() =>
  import('./devices/device.page.js').then((m) => ({ default: m.DevicePage })),
);
const CommandsPage = lazy(() =>
  import('./commands/commands.page.js').then((m) => ({ default: m.CommandsPage })),
);
const CommandPage = lazy(() =>
  import('./commands/command.page.js').then((m) => ({ default: m.CommandPage })),
);
const FirmwarePage = lazy(() =>
  import('./firmware/firmware.page.js').then((m) => ({ default: m.FirmwarePage })),
);
const RolloutPage = lazy(() =>
  import('./firmware/rollout.page.js').then((m) => ({ default: m.RolloutPage })),
);
const ProvisioningPage = lazy(() =>
  import('./provisioning/provisioning.page.js').then((m) => ({ default: m.ProvisioningPage })),
);
const AuditPage = lazy(() =>
  import('./audit/audit.page.js').then((m) => ({ default: m.AuditPage })),
);

function Loading() {
  const { t } = useI18n();
  return <p role="status">{t('app.loading')}</p>;
}

function CurrentPage() {
  const { route } = useRouter();
  switch (route.name) {
    case 'fleet':
      return <FleetPage />;
    case 'sites':
      return <SitesPage />;
    case 'gateway':
      return <GatewayPage key={route.id} id={route.id} />;
    case 'device':
      return <DevicePage key={route.id} id={route.id} />;
    case 'commands':
      return <CommandsPage />;
    case 'command':
      return <CommandPage key={route.id} id={route.id} />;
    case 'firmware':
      return <FirmwarePage />;
    case 'rollout':
      return <RolloutPage key={route.id} id={route.id} />;
    case 'provisioning':
      return <ProvisioningPage />;
    case 'audit':
      return <AuditPage />;
    case 'not-found':
      return <NotFound />;
  }
}

function NotFound() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t('app.notFound')} />
      <p>
        <Link to="/fleet">{t('app.backToFleet')}</Link>
      </p>
    </>
  );
}

function Gate() {
  const { state } = useSession();
  const { t } = useI18n();
  if (state.status === 'restoring') {
    return (
      <main id="main" className="loading-screen">
        <p role="status">{t('app.loading')}</p>
      </main>
    );
  }
  if (state.status === 'signed-out') return <LoginPage expired={state.notice === 'expired'} />;
  return (
    <Shell>
      <Suspense fallback={<Loading />}>
        <CurrentPage />
      </Suspense>
    </Shell>
  );
}

export function App() {
  return (
    <I18nProvider>
      <RouterProvider>
        <SessionProvider>
          <Gate />
        </SessionProvider>
      </RouterProvider>
    </I18nProvider>
  );
}
