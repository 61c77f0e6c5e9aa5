// Sign-in, for both sites: username and password, then the second step when the login has
// two-factor sign-in. The session is a bearer token for this tab (see api.ts).
import { useState } from 'preact/hooks';
import { Api } from './api';
import { t } from './i18n';
import { Field, Link, ProblemNote, useAction } from './ui';

interface SignInAnswer {
  token?: string;
  next?: 'second_factor';
  challenge?: string;
}

export function SignIn({ api, onSignedIn, title, forgot = true }: { api: Api; onSignedIn: () => void; title: string; forgot?: boolean }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const action = useAction();
  const signIn = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const answer = challenge
        ? await api.post<SignInAnswer>('/v1/auth/sign-in/second-factor', { challenge, code, session: 'bearer' })
        : await api.post<SignInAnswer>('/v1/auth/sign-in', { username, password, session: 'bearer' });
      if (answer.next === 'second_factor' && answer.challenge) {
        setChallenge(answer.challenge);
        return;
      }
      api.token = answer.token ?? null;
      onSignedIn();
    });
  };
  return (
    <div class="sc-card sc-auth">
      <h1>{title}</h1>
      <form onSubmit={signIn}>
        {challenge ? (
          <Field label={t('auth.code')} name="code" value={code} onInput={setCode} autocomplete="one-time-code" inputmode="numeric" required />
        ) : (
          <>
            <Field label={t('auth.username')} name="username" value={username} onInput={setUsername} autocomplete="username" required />
            <Field label={t('auth.password')} name="password" type="password" value={password} onInput={setPassword} autocomplete="current-password" required />
          </>
        )}
        {action.error !== null && <ProblemNote error={action.error} />}
        <div class="sc-actions">
          <button class="sc-button" type="submit" disabled={action.busy}>
            {action.busy ? t('auth.signing_in') : challenge ? t('auth.verify') : t('auth.sign_in')}
          </button>
          {!challenge && forgot && <Link href="/forgot">{t('auth.forgot')}</Link>}
        </div>
      </form>
    </div>
  );
}

