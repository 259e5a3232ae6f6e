import type { ApiClient } from './api-client.js';
import type { Page } from './api-types.js';

export interface Matches<T> {
  items: T[];
  /** True when more matched than were counted (the count is a lower bound). */
  capped: boolean;
}

/** Walks a list endpoint's pages for a selector, up to `cap` items, to say how many match. */
export async function countMatches<T>(
  api: ApiClient,
  path: string,
  selector: string,
  signal: AbortSignal,
  cap = 2_000,
): Promise<Matches<T>> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await api.get<Page<T>>(
      path,
      { selector, limit: 500, cursor: cursor ?? undefined },
      signal,
    );
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < cap);
  return { items, capped: cursor !== null };
}
