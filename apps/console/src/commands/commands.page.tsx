import { useEffect, useMemo, useState } from 'react';
import type { SubmitEvent } from 'react';
import { countMatches, type Matches } from '../api/count-matches.js';
import type {
  CommandDefinition,
  CommandParameter,
  Device,
  DeviceProfile,
} from '../api/api-types.js';
import { useAction, useResource } from '../api/use-resource.js';
import { useSession } from '../auth/session-context.js';
import { DEVICE_KEYS, parseSelectorText } from '../fleet/selector-text.js';
import { useI18n } from '../i18n/i18n-context.js';
import { formatQuantity } from '../i18n/formatters.js';
import type { Translate } from '../i18n/translate.js';
import type { Locale } from '../api/api-types.js';
import { useRouter } from '../routing/router.js';
import { routePath } from '../routing/route-match.js';
import { ErrorNotice, isMissingEndpoint, UnavailableNotice } from '../ui/error-notice.js';
import { CheckboxField, SelectField, TextField } from '../ui/fields.js';
import { PageHeader } from '../ui/page-header.js';
import { createCommand, PRIORITIES } from './commands-api.js';
import { initialValues, readParameters, type ParamProblem } from './parameter-values.js';
import { RecentCommands } from './recent-commands.js';

const COUNT_CAP = 2_000;
const COUNT_DELAY_MS = 400;

export function CommandsPage() {
  const { t } = useI18n();
  const session = useSession();
  return (
    <>
      <PageHeader title={t('commands.title')} />
      {session.can('command.send') ? (
        <CommandForm />
      ) : (
        <p className="notice">{t('commands.noPermission')}</p>
      )}
      <section className="panel" aria-labelledby="commands-recent">
        <h2 id="commands-recent">{t('commands.recent')}</h2>
        <RecentCommands />
      </section>
    </>
  );
}

/** Describes a parameter's range and unit for its help text: "from 0 to 100 %". */
function rangeText(p: CommandParameter, t: Translate, locale: Locale): string | undefined {
  const q = (v: number) => formatQuantity(v, p.unit, locale, 6);
  if (p.min !== undefined && p.max !== undefined)
    return t('commands.range', { min: q(p.min), max: q(p.max) });
  if (p.min !== undefined) return t('commands.atLeast', { min: q(p.min) });
  if (p.max !== undefined) return t('commands.atMost', { max: q(p.max) });
  return p.unit;
}

function problemText(problem: ParamProblem, p: CommandParameter, t: Translate): string {
  switch (problem.reason) {
    case 'min':
      return t('param.min', { min: p.min ?? 0 });
    case 'max':
      return t('param.max', { max: p.max ?? 0 });
    case 'choice':
      return t('param.choice', { values: (p.values ?? []).join(', ') });
    case 'required':
    case 'number':
    case 'integer':
      return t(`param.${problem.reason}`);
  }
}

function CommandForm() {
  const { t, locale } = useI18n();
  const { api, tenantId } = useSession();
  const { query, navigate } = useRouter();
  const [selector, setSelector] = useState(query.get('selector') ?? '');
  const [counted, setCounted] = useState(selector);
  const parsed = parseSelectorText(selector, DEVICE_KEYS);

  // Count as the operator types, a moment after they stop.
  useEffect(() => {
    const timer = setTimeout(() => {
      setCounted(selector.trim());
    }, COUNT_DELAY_MS);
    return () => {
      clearTimeout(timer);
    };
  }, [selector]);

  const matches = useResource<Matches<Device>>(
    parsed.ok && counted !== ''
      ? (signal) => countMatches<Device>(api, '/api/v1/devices', counted, signal, COUNT_CAP)
      : null,
    `${tenantId ?? ''}:match:${parsed.ok ? counted : ''}`,
  );
  const profiles = useResource(
    (signal) => api.get<{ items: DeviceProfile[] }>('/api/v1/profiles', {}, signal),
    'profiles',
  );

  const matched =
    counted === selector.trim() && parsed.ok && counted !== '' ? matches.data : undefined;
  const profileIds = useMemo(
    () => [...new Set((matched?.items ?? []).map((d) => d.profileId))].sort(),
    [matched],
  );
  // Commands every matched device's profile has, described by the first profile that has it.
  const commands = useMemo(() => {
    const byId = new Map((profiles.data?.items ?? []).map((p) => [p.id, p] as const));
    const sets = profileIds.map((id) => byId.get(id)?.commands ?? []);
    const first = sets[0] ?? [];
    return first.filter((c) => sets.every((set) => set.some((o) => o.name === c.name)));
  }, [profiles.data, profileIds]);

  const [commandName, setCommandName] = useState('');
  const command: CommandDefinition | undefined = commands.find((c) => c.name === commandName);
  const [raw, setRaw] = useState<Record<string, string | boolean>>({});
  useEffect(() => {
    setRaw(command ? initialValues(command.parameters) : {});
  }, [command]);
  const [ttl, setTtl] = useState('');
  const [priority, setPriority] = useState<'normal' | 'high'>('normal');
  const [showProblems, setShowProblems] = useState(false);

  const read = command ? readParameters(command.parameters, raw) : { values: {}, problems: [] };
  // One key per filled-in form: a retried or double-clicked send creates the command once.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());
  useEffect(() => {
    setIdempotencyKey(crypto.randomUUID());
  }, [counted, commandName, raw, ttl, priority]);
  const count = matched?.items.length ?? 0;

  const send = useAction(async () => {
    if (!command) return;
    const created = await createCommand(api, {
      target: { selector: counted },
      command: command.name,
      params: read.values,
      ttlSeconds: ttl.trim() ? Number(ttl) : undefined,
      priority: PRIORITIES[priority],
      idempotencyKey,
    });
    navigate(routePath({ name: 'command', id: created.id }));
  });

  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    setShowProblems(true);
    if (!command || read.problems.length > 0 || !matched || count === 0) return;
    const shown = matched.capped ? `${count}+` : count;
    if (!window.confirm(t('commands.confirm', { command: command.name, count: shown }))) return;
    void send.run();
  };
  const serverProblem = (field: string): string | undefined =>
    send.error?.problemFor(`params.${field}`) ??
    send.error?.problemFor(`target.${field}`) ??
    send.error?.problemFor(field);

  return (
    <section className="panel" aria-labelledby="command-new">
      <h2 id="command-new">{t('commands.new')}</h2>
      <form onSubmit={onSubmit} noValidate>
        <TextField
          label={t('commands.selector')}
          name="selector"
          className="mono"
          spellCheck={false}
          autoComplete="off"
          value={selector}
          placeholder="site=hcm-d3,tag=streetlight"
          onChange={(e) => {
            setSelector(e.target.value);
          }}
          help={t('commands.selectorHelp', { keys: DEVICE_KEYS.join(', ') })}
          error={
            parsed.ok
              ? (matches.error?.problemFor('selector') ?? serverProblem('selector'))
              : parsed.error
          }
        />
        <p role="status" aria-live="polite" className="match-count">
          {parsed.ok && selector.trim() !== '' && !matched && !matches.error
            ? t('commands.counting')
            : null}
          {matched
            ? count === 0
              ? t('commands.matchesNone')
              : matched.capped
                ? t('commands.matchesMore', { count })
                : t('commands.matches', { count })
            : null}
          {profileIds.length > 1
            ? ` ${t('commands.profileMix', { profiles: profileIds.join(', ') })}`
            : null}
        </p>
        {matches.error && !matches.error.problemFor('selector') ? (
          <ErrorNotice error={matches.error} />
        ) : null}

        {matched && count > 0 ? (
          commands.length === 0 ? (
            <p className="empty">{t('commands.noCommands')}</p>
          ) : (
            <SelectField
              label={t('commands.command')}
              name="command"
              value={commandName}
              onChange={(e) => {
                setCommandName(e.target.value);
                setShowProblems(false);
              }}
            >
              <option value="">{t('commands.chooseCommand')}</option>
              {commands.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.description ? `${c.name} — ${c.description}` : c.name}
                </option>
              ))}
            </SelectField>
          )
        ) : null}

        {command && command.parameters.length > 0 ? (
          <fieldset>
            <legend>{t('commands.parameters')}</legend>
            <div className="form-grid">
              {command.parameters.map((p) => (
                <ParameterField
                  key={p.name}
                  parameter={p}
                  value={raw[p.name]}
                  onChange={(v) => {
                    setRaw((r) => ({ ...r, [p.name]: v }));
                  }}
                  help={
                    [p.description, rangeText(p, t, locale)].filter(Boolean).join(' · ') ||
                    undefined
                  }
                  error={(() => {
                    const local = showProblems
                      ? read.problems.find((x) => x.name === p.name)
                      : undefined;
                    return local ? problemText(local, p, t) : serverProblem(p.name);
                  })()}
                />
              ))}
            </div>
          </fieldset>
        ) : null}

        {command ? (
          <div className="form-grid">
            <TextField
              label={t('commands.ttl')}
              name="ttlSeconds"
              type="number"
              min={1}
              value={ttl}
              help={t('commands.ttlHelp')}
              onChange={(e) => {
                setTtl(e.target.value);
              }}
              error={serverProblem('ttlSeconds')}
            />
            <SelectField
              label={t('commands.priority')}
              name="priority"
              value={priority}
              onChange={(e) => {
                setPriority(e.target.value === 'high' ? 'high' : 'normal');
              }}
            >
              <option value="normal">{t('commands.priority.normal')}</option>
              <option value="high">{t('commands.priority.high')}</option>
            </SelectField>
          </div>
        ) : null}
        {send.error ? (
          isMissingEndpoint(send.error) ? (
            <UnavailableNotice error={send.error} />
          ) : (
            <ErrorNotice error={send.error} />
          )
        ) : null}
        <button
          type="submit"
          className="button primary"
          disabled={!command || count === 0 || send.busy}
        >
          {t('commands.send', { count: matched?.capped ? `${count}+` : count })}
        </button>
      </form>
    </section>
  );
}

function ParameterField({
  parameter: p,
  value,
  onChange,
  help,
  error,
}: {
  parameter: CommandParameter;
  value: string | boolean | undefined;
  onChange: (value: string | boolean) => void;
  help: string | undefined;
  error: string | undefined;
}) {
  const { t } = useI18n();
  const label = `${p.name}${p.unit ? ` (${p.unit})` : ''}${p.required ? ` — ${t('commands.required')}` : ''}`;
  switch (p.type) {
    case 'boolean':
      return (
        <CheckboxField
          label={label}
          name={`param-${p.name}`}
          checked={value === true}
          help={help}
          onChange={(e) => {
            onChange(e.target.checked);
          }}
        />
      );
    case 'enum':
      return (
        <SelectField
          label={label}
          name={`param-${p.name}`}
          value={typeof value === 'string' ? value : ''}
          help={help}
          error={error}
          onChange={(e) => {
            onChange(e.target.value);
          }}
        >
          {p.required && p.default === undefined ? <option value="">—</option> : null}
          {(p.values ?? []).map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </SelectField>
      );
    case 'number':
    case 'integer':
      return (
        <TextField
          label={label}
          name={`param-${p.name}`}
          type="number"
          inputMode={p.type === 'integer' ? 'numeric' : 'decimal'}
          min={p.min}
          max={p.max}
          step={p.type === 'integer' ? 1 : 'any'}
          required={p.required}
          value={typeof value === 'string' ? value : ''}
          help={help}
          error={error}
          onChange={(e) => {
            onChange(e.target.value);
          }}
        />
      );
    case 'string':
      return (
        <TextField
          label={label}
          name={`param-${p.name}`}
          required={p.required}
          value={typeof value === 'string' ? value : ''}
          help={help}
          error={error}
          onChange={(e) => {
            onChange(e.target.value);
          }}
        />
      );
  }
}
