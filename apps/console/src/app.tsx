import { LoginPage } from './auth/login.page.js';
import { SessionProvider, useSession } from './auth/session-context.js';
import { AuditPage } from './audit/audit.page.js';
import { CommandPage } from './commands/command.page.js';
import { CommandsPage } from './commands/commands.page.js';
import { DevicePage } from './devices/device.page.js';
import { FirmwarePage } from './firmware/firmware.page.js';
import { RolloutPage } from './firmware/rollout.page.js';
import { FleetPage } from './fleet/fleet.page.js';
import { GatewayPage } from './gateways/gateway.page.js';
import { ProvisioningPage } from './provisioning/provisioning.page.js';
import { SitesPage } from './sites/sites.page.js';
import { I18nProvider, useI18n } from './i18n/i18n-context.js';
import { RouterProvider, Link, useRouter } from './routing/router.js';
import { PageHeader } from './ui/page-header.js';
import { Shell } from './ui/shell.js';

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
      <CurrentPage />
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
