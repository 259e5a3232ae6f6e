import type { DeviceProfile } from '../api/api-types.js';
import { useI18n } from '../i18n/i18n-context.js';
import { formatReading } from '../i18n/formatters.js';
import type { Reading } from '../telemetry/telemetry-types.js';
import { TimeText } from '../ui/time-text.js';

/** Every readable point of a device with its latest value, updated in place. */
export function ReadingsTable({
  profile,
  readings,
  timeZone,
}: {
  profile: DeviceProfile;
  readings: ReadonlyMap<string, Reading> | undefined;
  timeZone: string | undefined;
}) {
  const { t, locale } = useI18n();
  const points = profile.points.filter((p) => p.access !== 'w');
  return (
    <div className="table-scroll">
      <table className="table" aria-live="off">
        <thead>
          <tr>
            <th scope="col">{t('device.point')}</th>
            <th scope="col" className="num">
              {t('device.value')}
            </th>
            <th scope="col">{t('device.updated')}</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p) => {
            const reading = readings?.get(p.name);
            return (
              <tr key={p.name} data-point={p.name}>
                <th scope="row">
                  {p.description ?? p.name}
                  <span className="muted small block mono">{p.name}</span>
                </th>
                <td className="num" data-value>
                  {reading ? (
                    formatReading(reading.value, p.unit, locale, {
                      on: t('app.on'),
                      off: t('app.off'),
                    })
                  ) : (
                    <span className="muted">{t('device.noReading')}</span>
                  )}
                </td>
                <td>
                  {reading ? <TimeText iso={reading.ts} timeZone={timeZone} seconds /> : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
