import type { Locale } from '../api/api-types.js';
import { en, type MessageKey } from './messages-en.js';
import { vi } from './messages-vi.js';

export type MessageVars = Readonly<Record<string, string | number>>;
export type Translate = (key: MessageKey, vars?: MessageVars) => string;

const CATALOGS: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = { en, vi };

/**
 * Looks a message up and fills its {placeholders}; numbers are formatted for the locale.
 * `{count|device|devices}` picks a word by the count's plural category (Vietnamese needs none).
 */
export function translator(locale: Locale): Translate {
  const catalog = CATALOGS[locale];
  const tag = locale === 'vi' ? 'vi-VN' : 'en-GB';
  const numbers = new Intl.NumberFormat(tag);
  const plurals = new Intl.PluralRules(tag);
  return (key, vars) => {
    const text = catalog[key];
    if (!vars) return text;
    return text
      .replace(
        /\{(\w+)\|([^|}]*)\|([^}]*)\}/g,
        (_whole, name: string, one: string, other: string) => {
          const value = vars[name];
          if (typeof value !== 'number') return other;
          return plurals.select(value) === 'one' ? one : other;
        },
      )
      .replace(/\{(\w+)\}/g, (whole, name: string) => {
        const value = vars[name];
        if (value === undefined) return whole;
        return typeof value === 'number' ? numbers.format(value) : value;
      });
  };
}

/** The language a browser prefers, when the tenant does not say. */
export function browserLocale(languages: readonly string[]): Locale {
  return languages.some((l) => l.toLowerCase().startsWith('vi')) ? 'vi' : 'en';
}

export function isLocale(value: unknown): value is Locale {
  return value === 'vi' || value === 'en';
}
