import { useState } from 'react';
import type { SubmitEvent } from 'react';
import { useAction } from '../api/use-resource.js';
import { useI18n } from '../i18n/i18n-context.js';
import { ErrorNotice } from '../ui/error-notice.js';
import { TextField } from '../ui/fields.js';
import { LanguageSwitch } from '../ui/language-switch.js';
import { useSession } from './session-context.js';

type Method = 'password' | 'token';

export function LoginPage({ expired }: { expired: boolean }) {
  const { t } = useI18n();
  const session = useSession();
  const [method, setMethod] = useState<Method>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const signIn = useAction(async () => {
    if (method === 'password') await session.signIn(username.trim(), password);
    else await session.signInWithToken(token);
  });

  const onSubmit = (event: SubmitEvent) => {
    event.preventDefault();
    void signIn.run();
  };

  return (
    <div className="login">
      <header className="login-header">
        <span className="brand">{t('app.title')}</span>
        <LanguageSwitch />
      </header>
      <main id="main" className="login-main">
        <h1 tabIndex={-1}>{t('login.title')}</h1>
        {expired ? (
          <p className="notice notice-warning" role="status">
            {t('session.expired')}
          </p>
        ) : null}
        <form onSubmit={onSubmit} className="panel login-form" noValidate>
          <fieldset className="segmented">
            <legend>{t('login.method')}</legend>
            {(['password', 'token'] as const).map((m) => (
              <label key={m} className={method === m ? 'selected' : undefined}>
                <input
                  type="radio"
                  name="method"
                  value={m}
                  checked={method === m}
                  onChange={() => {
                    setMethod(m);
                    signIn.clear();
                  }}
                />
                {t(m === 'password' ? 'login.withPassword' : 'login.withToken')}
              </label>
            ))}
          </fieldset>
          {method === 'password' ? (
            <>
              <TextField
                label={t('login.username')}
                name="username"
                autoComplete="username"
                required
                value={username}
                onChange={(e) => {
                  setUsername(e.target.value);
                }}
              />
              <TextField
                label={t('login.password')}
                name="password"
                type="password"
                autoComplete="current-password"
                required
                value={password}
                onChange={(e) => {
                  setPassword(e.target.value);
                }}
              />
            </>
          ) : (
            <TextField
              label={t('login.token')}
              name="token"
              type="password"
              autoComplete="off"
              spellCheck={false}
              required
              className="mono"
              help={t('login.tokenHelp')}
              value={token}
              onChange={(e) => {
                setToken(e.target.value);
              }}
            />
          )}
          {signIn.error ? <ErrorNotice error={signIn.error} /> : null}
          <button type="submit" className="button primary" disabled={signIn.busy}>
            {t('login.submit')}
          </button>
        </form>
      </main>
    </div>
  );
}
