import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import type { Locale } from '../api/api-types.js';
import { browserLocale, isLocale, translator, type Translate } from './translate.js';

const STORAGE_KEY = 'fleet.locale';

export interface I18n {
  locale: Locale;
  t: Translate;
  /** The user's explicit choice; it wins over the tenant's default from then on. */
  chooseLocale: (locale: Locale) => void;
  /** The tenant's language, used unless the user chose one. */
  setTenantDefault: (locale: Locale | null) => void;
}

const I18nContext = createContext<I18n | null>(null);

function storedChoice(): Locale | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return isLocale(value) ? value : null;
  } catch {
    return null;
  }
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [chosen, setChosen] = useState<Locale | null>(storedChoice);
  const [tenantDefault, setTenantDefault] = useState<Locale | null>(null);
  const locale: Locale = chosen ?? tenantDefault ?? browserLocale(navigator.languages);

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);

  const chooseLocale = useCallback((next: Locale) => {
    setChosen(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private browsing may refuse storage; the choice still holds for this page.
    }
  }, []);

  const value = useMemo<I18n>(
    () => ({ locale, t: translator(locale), chooseLocale, setTenantDefault }),
    [locale, chooseLocale],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
