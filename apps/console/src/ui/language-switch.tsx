import { useId } from 'react';
import { useI18n } from '../i18n/i18n-context.js';
import { isLocale } from '../i18n/translate.js';

export function LanguageSwitch() {
  const { t, locale, chooseLocale } = useI18n();
  const id = useId();
  return (
    <div className="inline-field">
      <label htmlFor={id}>{t('session.language')}</label>
      <select
        id={id}
        value={locale}
        onChange={(e) => {
          if (isLocale(e.target.value)) chooseLocale(e.target.value);
        }}
      >
        <option value="vi" lang="vi">
          Tiếng Việt
        </option>
        <option value="en" lang="en">
          English
        </option>
      </select>
    </div>
  );
}
