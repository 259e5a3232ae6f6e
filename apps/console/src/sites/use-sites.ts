import { useMemo } from 'react';
import type { ApiClient } from '../api/api-client.js';
import type { Page, Site } from '../api/api-types.js';
import { useResource, type Resource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';

/** Every page of a list endpoint (for small sets such as sites). */
export async function loadAll<T>(
  api: ApiClient,
  path: string,
  query: Record<string, string>,
  signal: AbortSignal,
  cap = 5_000,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await api.get<Page<T>>(
      path,
      { ...query, limit: 500, cursor: cursor ?? undefined },
      signal,
    );
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < cap);
  return items;
}

export function useSites(): Resource<Site[]> & { byId: ReadonlyMap<string, Site> } {
  const { api, tenantId } = useSession();
  const resource = useResource(
    tenantId ? (signal) => loadAll<Site>(api, '/api/v1/sites', {}, signal) : null,
    `sites:${tenantId ?? ''}`,
  );
  const byId = useMemo(
    () => new Map((resource.data ?? []).map((s) => [s.id, s] as const)),
    [resource.data],
  );
  return { ...resource, byId };
}
