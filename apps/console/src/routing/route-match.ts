/** The console's pages, addressed by path so every view can be bookmarked and shared. */
export type Route =
  | { name: 'fleet' }
  | { name: 'sites' }
  | { name: 'gateway'; id: string }
  | { name: 'device'; id: string }
  | { name: 'commands' }
  | { name: 'command'; id: string }
  | { name: 'firmware' }
  | { name: 'rollout'; id: string }
  | { name: 'provisioning' }
  | { name: 'audit' }
  | { name: 'not-found' };

const WITH_ID: Readonly<Record<string, 'gateway' | 'device' | 'command' | 'rollout'>> = {
  gateways: 'gateway',
  devices: 'device',
  commands: 'command',
  rollouts: 'rollout',
};

const PLAIN: Readonly<Record<string, Route>> = {
  '': { name: 'fleet' },
  fleet: { name: 'fleet' },
  sites: { name: 'sites' },
  commands: { name: 'commands' },
  firmware: { name: 'firmware' },
  provisioning: { name: 'provisioning' },
  audit: { name: 'audit' },
};

export function matchRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length <= 1) return PLAIN[parts[0] ?? ''] ?? { name: 'not-found' };
  const [section = '', id = ''] = parts;
  const name = WITH_ID[section];
  if (parts.length === 2 && name && id) return { name, id };
  return { name: 'not-found' };
}

export function routePath(route: Route): string {
  switch (route.name) {
    case 'fleet':
      return '/fleet';
    case 'gateway':
      return `/gateways/${encodeURIComponent(route.id)}`;
    case 'device':
      return `/devices/${encodeURIComponent(route.id)}`;
    case 'command':
      return `/commands/${encodeURIComponent(route.id)}`;
    case 'rollout':
      return `/rollouts/${encodeURIComponent(route.id)}`;
    case 'sites':
    case 'commands':
    case 'firmware':
    case 'provisioning':
    case 'audit':
      return `/${route.name}`;
    case 'not-found':
      return '/';
  }
}
