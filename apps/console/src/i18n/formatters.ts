import type { Locale } from '../api/api-types.js';

/** BCP 47 tags for the console's languages; en-GB for day-month order and a 24-hour clock. */
export function intlLocale(locale: Locale): string {
  return locale === 'vi' ? 'vi-VN' : 'en-GB';
}

/** A date and time in the given IANA zone (the site's), with the zone spelled out. */
export function formatDateTime(
  iso: string | Date,
  locale: Locale,
  timeZone: string | undefined,
  options: { seconds?: boolean; zone?: boolean } = {},
): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(intlLocale(locale), {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: options.seconds ? '2-digit' : undefined,
    hourCycle: 'h23',
    timeZoneName: options.zone === false ? undefined : 'short',
  }).format(date);
}

/** Time of day only, for chart axes and live readings. */
export function formatTime(
  date: Date,
  locale: Locale,
  timeZone: string | undefined,
  seconds = false,
): string {
  return new Intl.DateTimeFormat(intlLocale(locale), {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: seconds ? '2-digit' : undefined,
    hourCycle: 'h23',
  }).format(date);
}

const RELATIVE_STEPS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Number.POSITIVE_INFINITY],
];

/** "3 minutes ago" / "3 phút trước". */
export function formatRelative(iso: string | Date, now: Date, locale: Locale): string {
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  let value = (date.getTime() - now.getTime()) / 1000;
  const format = new Intl.RelativeTimeFormat(intlLocale(locale), { numeric: 'auto' });
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(value) < size) return format.format(Math.round(value), unit);
    value /= size;
  }
  return format.format(Math.round(value), 'year');
}

export function formatNumber(value: number, locale: Locale, maximumFractionDigits = 2): string {
  return new Intl.NumberFormat(intlLocale(locale), { maximumFractionDigits }).format(value);
}

/** Units Intl formats itself (it also translates their names); others are shown as written. */
const INTL_UNITS: Readonly<Record<string, string>> = {
  '%': 'percent',
  '°C': 'celsius',
  s: 'second',
  ms: 'millisecond',
  min: 'minute',
  h: 'hour',
  d: 'day',
  m: 'meter',
  km: 'kilometer',
  kB: 'kilobyte',
  MB: 'megabyte',
  GB: 'gigabyte',
  '°': 'degree',
};

/** A value with its engineering unit, formatted for the locale: 40 % / 230,5 V / 1.234,5 kWh. */
export function formatQuantity(
  value: number,
  unit: string | undefined,
  locale: Locale,
  maximumFractionDigits = 2,
): string {
  const tag = intlLocale(locale);
  const intlUnit = unit === undefined ? undefined : INTL_UNITS[unit];
  if (intlUnit) {
    return new Intl.NumberFormat(tag, {
      style: 'unit',
      unit: intlUnit,
      maximumFractionDigits,
    }).format(value);
  }
  const number = new Intl.NumberFormat(tag, { maximumFractionDigits }).format(value);
  return unit ? `${number}\u00a0${unit}` : number;
}

/** Any reading a device reports (number, boolean, text, flag set) as text. */
export function formatReading(
  value: unknown,
  unit: string | undefined,
  locale: Locale,
  words: { on: string; off: string },
): string {
  if (typeof value === 'number') return formatQuantity(value, unit, locale);
  if (typeof value === 'boolean') return value ? words.on : words.off;
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const set = Object.entries(value as Record<string, unknown>)
      .filter(([, on]) => on === true)
      .map(([flag]) => flag);
    return set.length ? set.join(', ') : '—';
  }
  return '—';
}
