import type { Locator } from 'playwright-core';
import { expect } from 'vitest';

/** How long a page may take to show what a user is waiting for (the API, SSE, a render). */
export const UI_TIMEOUT_MS = 15_000;

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * Waiting assertions on page elements, in the spirit of Playwright Test's locator matchers
 * (playwright-core has none): each polls until the page shows the expected state or the wait
 * runs out, then fails with what it saw last.
 */
export function ui(locator: Locator, timeout = UI_TIMEOUT_MS) {
  const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout, interval: 100 });
  const text = async () => squash((await locator.allInnerTexts()).join(' '));
  const quick = { timeout: 1_000 };
  return {
    toHaveText: (expected: string | RegExp) =>
      typeof expected === 'string' ? poll(text).toBe(expected) : poll(text).toMatch(expected),
    toContainText: (expected: string) => poll(text).toContain(expected),
    toBeVisible: () => poll(() => locator.isVisible().catch(() => false)).toBe(true),
    toHaveCount: (count: number) => poll(() => locator.count()).toBe(count),
    toHaveAttribute: (name: string, value: string) =>
      poll(() => locator.getAttribute(name, quick).catch(() => null)).toBe(value),
    toHaveValue: (value: string) =>
      poll(() => locator.inputValue(quick).catch(() => null)).toBe(value),
    toBeFocused: () =>
      poll(() =>
        locator
          .evaluate((element) => element === element.ownerDocument.activeElement, undefined, quick)
          .catch(() => false),
      ).toBe(true),
    toBeDisabled: () => poll(() => locator.isDisabled(quick).catch(() => false)).toBe(true),
  };
}
