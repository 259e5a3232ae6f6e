import { listCommands, finished } from './commands-api.js';
import { useResource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { useI18n } from '../i18n/i18n-context.js';
import { Link } from '../routing/router.js';
import { routePath } from '../routing/route-match.js';
import { ErrorNotice, isMissingEndpoint, UnavailableNotice } from '../ui/error-notice.js';
import { TimeText } from '../ui/time-text.js';

/** The latest commands, optionally only those aimed at a selector (e.g. one gateway). */
export function RecentCommands({ selector, timeZone }: { selector?: string; timeZone?: string }) {
  const { t } = useI18n();
  const { api, tenantId } = useSession();
  const commands = useResource(
    (signal) => listCommands(api, selector, signal),
    `${tenantId ?? ''}:commands:${selector ?? ''}`,
  );
  if (commands.error) {
    return isMissingEndpoint(commands.error) ? (
      <UnavailableNotice error={commands.error} />
    ) : (
      <ErrorNotice error={commands.error} onRetry={commands.reload} />
    );
  }
  if (!commands.data) return <p>{t('app.loading')}</p>;
  if (commands.data.items.length === 0) return <p className="empty">{t('commands.none')}</p>;
  return (
    <div className="table-scroll">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{t('commands.command')}</th>
            <th scope="col">{t('commands.created')}</th>
            <th scope="col">{t('commands.by')}</th>
            <th scope="col">{t('commands.progress')}</th>
          </tr>
        </thead>
        <tbody>
          {commands.data.items.map((c) => (
            <tr key={c.id}>
              <th scope="row">
                <Link to={routePath({ name: 'command', id: c.id })}>{c.command}</Link>
                {c.selector ? <span className="muted small block mono">{c.selector}</span> : null}
              </th>
              <td>
                <TimeText iso={c.createdAt} timeZone={timeZone} />
              </td>
              <td>{c.createdBy ?? '—'}</td>
              <td>{t('commands.total', { done: finished(c), total: c.total })}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
