// The credential-create and reset links from mail, for both sites: customers' on the
// portal, staff's on the console.
import { useEffect, useState } from 'preact/hooks';
import { Api, ApiProblem } from './api';
import { t } from './i18n';
import { navigate } from './router';
import { Field, ProblemNote, fieldError, useAction } from './ui';

/// The token of a mail link, from the fragment (never sent to a server).
function linkToken(): string {
  return new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
}

interface LinkInfo {
  next: 'create' | 'reset' | 'unlock' | 'card' | 'sign_in';
  name?: string;
  username?: string;
}

/// A mail link's token and what the API says it leads to (null while it is asked).
export function useLink(api: Api): [string, LinkInfo | null] {
  const [token] = useState(linkToken);
  const [info, setInfo] = useState<LinkInfo | null>(null);
  useEffect(() => {
    api.post<LinkInfo>('/v1/auth/links/inspect', { token }).then(setInfo, () => setInfo({ next: 'sign_in' }));
  }, [token]);
  return [token, info];
}

/// A credential-create or reset link: the form it leads to, or "used or expired".
export function CredentialsLink({ api, kind, home = '/' }: { api: Api; kind: 'create' | 'reset'; home?: string }) {
  const [token, info] = useLink(api);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const action = useAction();
  if (!info) return <p class="sc-loading" role="status">{t('app.loading')}</p>;
  if (done || info.next === 'sign_in' || info.next !== kind) {
    return (
      <div class="sc-card sc-auth">
        <h1>{t(kind === 'create' ? 'auth.create_title' : 'auth.reset_title')}</h1>
        <p class="sc-notice" role="status">
          {done ? t(kind === 'create' ? 'auth.created' : 'auth.reset_done') : t('auth.link_unusable')}
        </p>
        <button type="button" class="sc-button" onClick={() => navigate(home)}>
          {t('auth.sign_in')}
        </button>
      </div>
    );
  }
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      if (kind === 'create') await api.post('/v1/auth/credentials', { token, username, password });
      else await api.post('/v1/auth/reset-password', { token, password });
      history.replaceState(null, '', location.pathname + location.search);
      setDone(true);
    });
  };
  const problem = action.error instanceof ApiProblem ? action.error : null;
  return (
    <div class="sc-card sc-auth">
      <h1>{t(kind === 'create' ? 'auth.create_title' : 'auth.reset_title')}</h1>
      {info.name && <p>{t('auth.create_hello', { name: info.name })}</p>}
      <form onSubmit={submit}>
        {kind === 'create' && (
          <Field label={t('auth.choose_username')} name="username" value={username} onInput={setUsername} autocomplete="username" required error={fieldError(problem, '/username')} />
        )}
        <Field label={t('auth.choose_password')} name="password" type="password" value={password} onInput={setPassword} autocomplete="new-password" required error={fieldError(problem, '/password')} />
        {action.error !== null && <ProblemNote error={action.error} />}
        <button class="sc-button" type="submit" disabled={action.busy}>
          {t(kind === 'create' ? 'auth.create_button' : 'auth.reset_button')}
        </button>
      </form>
    </div>
  );
}

