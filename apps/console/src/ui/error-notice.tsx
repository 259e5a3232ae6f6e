import type { ApiError } from '../api/api-error.js';
import { useI18n } from '../i18n/i18n-context.js';

/** An API failure as the user should read it: the message, each named field, the request id. */
export function ErrorNotice({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <div className="notice notice-error" role="alert">
      <p>
        {t('app.error', { message: error.message })}
        {error.requestId ? (
          <span className="muted"> ({t('app.errorRequest', { id: error.requestId })})</span>
        ) : null}
      </p>
      {error.problems.length > 0 ? (
        <ul>
          {error.problems.map((p) => (
            <li key={`${p.field}:${p.reason}`}>
              <code>{p.field}</code>: {p.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          {t('app.retry')}
        </button>
      ) : null}
    </div>
  );
}

/** A control-plane area this server does not serve (no such route) is said so plainly. */
export function isMissingEndpoint(error: ApiError): boolean {
  return error.status === 404 && error.code === 'ROUTE_NOT_FOUND';
}

export function UnavailableNotice({ error }: { error: ApiError }) {
  const { t } = useI18n();
  return (
    <div className="notice notice-warning" role="status">
      <p>{t('app.unavailable', { message: `${error.status} ${error.code}` })}</p>
    </div>
  );
}
