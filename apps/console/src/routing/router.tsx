import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from 'react';
import { matchRoute, type Route } from './route-match.js';

interface Location {
  pathname: string;
  search: string;
}

export interface Router {
  location: Location;
  route: Route;
  query: URLSearchParams;
  navigate: (to: string, options?: { replace?: boolean }) => void;
  /** Replaces the query string of the current page (filters live in the URL). */
  setQuery: (values: Record<string, string | undefined>) => void;
}

const RouterContext = createContext<Router | null>(null);

const current = (): Location => ({
  pathname: window.location.pathname,
  search: window.location.search,
});

export function RouterProvider({ children }: { children: ReactNode }) {
  const [location, setLocation] = useState<Location>(current);

  useEffect(() => {
    const onPop = () => {
      setLocation(current());
    };
    window.addEventListener('popstate', onPop);
    return () => {
      window.removeEventListener('popstate', onPop);
    };
  }, []);

  const navigate = useCallback((to: string, options: { replace?: boolean } = {}) => {
    if (options.replace) window.history.replaceState(null, '', to);
    else window.history.pushState(null, '', to);
    setLocation(current());
  }, []);

  const value = useMemo<Router>(() => {
    const query = new URLSearchParams(location.search);
    return {
      location,
      route: matchRoute(location.pathname),
      query,
      navigate,
      setQuery(values) {
        const next = new URLSearchParams();
        for (const [key, value] of Object.entries(values)) {
          if (value !== undefined && value !== '') next.set(key, value);
        }
        const text = next.toString();
        navigate(`${location.pathname}${text ? `?${text}` : ''}`, { replace: true });
      },
    };
  }, [location, navigate]);

  return <RouterContext.Provider value={value}>{children}</RouterContext.Provider>;
}

export function useRouter(): Router {
  const value = useContext(RouterContext);
  if (!value) throw new Error('useRouter outside RouterProvider');
  return value;
}

/** An ordinary link that navigates inside the app on a plain click. */
export function Link({
  to,
  children,
  ...rest
}: { to: string; children: ReactNode } & Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'>) {
  const { navigate } = useRouter();
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(event);
    if (
      event.defaultPrevented ||
      event.button !== 0 ||
      event.metaKey ||
      event.ctrlKey ||
      event.shiftKey ||
      event.altKey
    ) {
      return;
    }
    event.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={to} onClick={onClick}>
      {children}
    </a>
  );
}
