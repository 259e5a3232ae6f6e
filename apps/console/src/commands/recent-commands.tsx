import { finished, listCommands, targetText, type CommandSummary } from './commands-api.js';
import { useResource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { useI18n } from '../i18n/i18n-context.js';
import { Link } from '../routing/router.js';
import { routePath } from '../routing/route-match.js';
import { ErrorNotice, isMissingEndpoint, UnavailableNotice } from '../ui/error-notice.js';
import { StateBadge } from '../ui/status-badge.js';
import { TimeText } from '../ui/time-text.js';

/**
 * The latest commands; with `only`, those of the latest 100 that it keeps (the API lists by
 * tenant, so a gateway's page picks the commands aimed at its devices).
 */
export function RecentCommands({
  only,
  scope = 'all',
  timeZone,
}: {
  only?: (command: CommandSummary) => boolean;
  /** Names what `only` selects, so the list reloads when it changes. */
  scope?: string;
  timeZone?: string;
}) {
  const { t } = useI18n();
  const { api, tenantId } = useSession();
  const commands = useResource(
    (signal) => listCommands(api, only ? 100 : 20, signal),
    `${tenantId ?? ''}:commands:${scope}`,
  );
  const items = (commands.data?.items ?? []).filter((c) => !only || only(c));
  if (commands.error) {
    return isMissingEndpoint(commands.error) ? (
      <UnavailableNotice error={commands.error} />
    ) : (
      <ErrorNotice error={commands.error} onRetry={commands.reload} />
    );
  }
  if (!commands.data) return <p>{t('app.loading')}</p>;
  if (items.length === 0) return <p className="empty">{t('commands.none')}</p>;
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
          {items.map((c) => (
            <tr key={c.id}>
              <th scope="row">
                <Link to={routePath({ name: 'command', id: c.id })}>{c.command}</Link>
                <span className="muted small block mono">{targetText(c.target)}</span>
              </th>
              <td>
                <TimeText iso={c.createdAt} timeZone={timeZone} />
              </td>
              <td>{c.createdBy.name ?? '—'}</td>
              <td>
                <StateBadge state={c.state} label={t(`command.${c.state}`)} />{' '}
                {t('commands.total', { done: finished(c), total: c.total })}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
