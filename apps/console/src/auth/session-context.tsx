import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import type { ReactNode } from 'react';
import { createApiClient, type ApiClient } from '../api/api-client.js';
import type { LoginResult, Page, Principal, Tenant } from '../api/api-types.js';
import { useI18n } from '../i18n/i18n-context.js';
import { isLocale } from '../i18n/translate.js';
import { can, type Capability } from './permissions.js';

const TOKEN_KEY = 'fleet.session';
const TENANT_KEY = 'fleet.tenant';

interface StoredSession {
  token: string;
  /** A password sign-in made this token, so signing out revokes it; a pasted API token is kept. */
  source: 'password' | 'token';
}

export type SessionState =
  | { status: 'restoring' }
  | { status: 'signed-out'; notice?: 'expired' }
  | { status: 'signed-in'; principal: Principal };

export interface Session {
  state: SessionState;
  principal: Principal | null;
  api: ApiClient;
  token: string | null;
  /** The tenant requests act in (the user's own, or the one a platform administrator chose). */
  tenantId: string | null;
  tenants: readonly Tenant[];
  chooseTenant: (tenantId: string) => void;
  signIn: (username: string, password: string) => Promise<void>;
  signInWithToken: (token: string) => Promise<void>;
  signOut: () => Promise<void>;
  can: (capability: Capability) => boolean;
}

const SessionContext = createContext<Session | null>(null);

function readStored(): StoredSession | null {
  try {
    const raw = sessionStorage.getItem(TOKEN_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<StoredSession>;
    return typeof parsed.token === 'string' &&
      (parsed.source === 'password' || parsed.source === 'token')
      ? { token: parsed.token, source: parsed.source }
      : null;
  } catch {
    return null;
  }
}

function store(session: StoredSession | null): void {
  try {
    if (session) sessionStorage.setItem(TOKEN_KEY, JSON.stringify(session));
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage refused: the session lasts as long as the page.
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const { setTenantDefault } = useI18n();
  const [stored, setStored] = useState<StoredSession | null>(readStored);
  const [state, setState] = useState<SessionState>(() =>
    stored ? { status: 'restoring' } : { status: 'signed-out' },
  );
  const [tenants, setTenants] = useState<readonly Tenant[]>([]);
  const [chosenTenant, setChosenTenant] = useState<string | null>(() => {
    try {
      return localStorage.getItem(TENANT_KEY);
    } catch {
      return null;
    }
  });

  const principal = state.status === 'signed-in' ? state.principal : null;
  const tenantId = principal
    ? principal.platformAdmin
      ? (tenants.find((t) => t.id === chosenTenant)?.id ?? tenants[0]?.id ?? null)
      : principal.tenantId
    : null;

  // The client reads the current credentials on every call.
  const credentials = useRef({ token: stored?.token ?? null, tenantId });
  credentials.current = { token: stored?.token ?? null, tenantId };

  // A 401 ends a running session; during sign-in the form reports it instead.
  const active = useRef(false);
  active.current = state.status === 'signed-in';

  const end = useCallback((notice?: 'expired') => {
    active.current = false;
    store(null);
    setStored(null);
    setTenants([]);
    setState({ status: 'signed-out', notice });
  }, []);

  const api = useMemo(
    () =>
      createApiClient(
        () => credentials.current,
        () => {
          if (active.current) end('expired');
        },
      ),
    [end],
  );

  const begin = useCallback(
    async (session: StoredSession, known?: Principal) => {
      credentials.current = { token: session.token, tenantId: null };
      const me =
        known ?? (await api.request<Principal>('GET', '/api/v1/auth/me', { tenant: false }));
      if (me.platformAdmin) {
        const page = await api.request<Page<Tenant>>('GET', '/api/v1/tenants', {
          query: { limit: 500 },
          tenant: false,
        });
        setTenants(page.items);
      } else {
        setTenants([]);
      }
      store(session);
      setStored(session);
      setState({ status: 'signed-in', principal: me });
    },
    [api],
  );

  // Restore a session kept in this tab.
  const restoring = useRef(false);
  useEffect(() => {
    if (state.status !== 'restoring' || !stored || restoring.current) return;
    restoring.current = true;
    begin(stored).catch(() => {
      end();
    });
  }, [state.status, stored, begin, end]);

  useEffect(() => {
    const locale = tenants.find((t) => t.id === tenantId)?.locale;
    setTenantDefault(isLocale(locale) ? locale : null);
  }, [tenants, tenantId, setTenantDefault]);

  const value = useMemo<Session>(
    () => ({
      state,
      principal,
      api,
      token: stored?.token ?? null,
      tenantId,
      tenants,
      chooseTenant(next) {
        setChosenTenant(next);
        try {
          localStorage.setItem(TENANT_KEY, next);
        } catch {
          // Not remembered across reloads; fine.
        }
      },
      async signIn(username, password) {
        credentials.current = { token: null, tenantId: null };
        const result = await api.request<LoginResult>('POST', '/api/v1/auth/login', {
          body: { username, password },
          tenant: false,
        });
        await begin({ token: result.token, source: 'password' }, result.user);
      },
      async signInWithToken(token) {
        await begin({ token: token.trim(), source: 'token' });
      },
      async signOut() {
        if (stored?.source === 'password') {
          await api
            .request('POST', '/api/v1/auth/logout', { body: {}, tenant: false })
            .catch(() => undefined);
        }
        end();
      },
      can: (capability) => can(principal, capability),
    }),
    [state, principal, api, stored, tenantId, tenants, begin, end],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** For pages that only render when signed in. */
export function usePrincipal(): Principal {
  const { principal } = useSession();
  if (!principal) throw new Error('usePrincipal while signed out');
  return principal;
}
