// Getting in to the portal: the credential-create and reset links from mail, and forgot
// password (sign-in itself is shared with the console).
import { useState } from 'preact/hooks';
import { Api } from '../shared/api';
import { useLink } from '../shared/credentials';
import { t } from '../shared/i18n';
import { navigate } from '../shared/router';
import { Field, Link, ProblemNote, useAction } from '../shared/ui';

export { SignIn } from '../shared/sign-in';
export { CredentialsLink } from '../shared/credentials';

export function Forgot({ api }: { api: Api }) {
  const [username, setUsername] = useState('');
  const [sent, setSent] = useState(false);
  const action = useAction();
  return (
    <div class="sc-card sc-auth">
      <h1>{t('auth.forgot_title')}</h1>
      {sent ? (
        <p class="sc-notice" role="status">{t('auth.forgot_sent')}</p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              await api.post('/v1/auth/forgot-password', { username });
              setSent(true);
            });
          }}
        >
          <Field label={t('auth.username')} name="username" value={username} onInput={setUsername} autocomplete="username" required />
          {action.error !== null && <ProblemNote error={action.error} />}
          <button class="sc-button" type="submit" disabled={action.busy}>
            {t('auth.forgot_send')}
          </button>
        </form>
      )}
      <p>
        <Link href="/">{t('auth.sign_in')}</Link>
      </p>
    </div>
  );
}

/// The unlock link of a lock notice: one button, then sign in.
export function UnlockLink({ api }: { api: Api }) {
  const [token, info] = useLink(api);
  const [done, setDone] = useState(false);
  const action = useAction();
  if (!info) return <p class="sc-loading" role="status">{t('app.loading')}</p>;
  if (done || info.next !== 'unlock') {
    return (
      <div class="sc-card sc-auth">
        <h1>{t('auth.unlock_title')}</h1>
        <p class="sc-notice" role="status">{done ? t('auth.unlock_done') : t('auth.link_unusable')}</p>
        <button type="button" class="sc-button" onClick={() => navigate('/')}>
          {t('auth.sign_in')}
        </button>
      </div>
    );
  }
  return (
    <div class="sc-card sc-auth">
      <h1>{t('auth.unlock_title')}</h1>
      <p>{t('auth.unlock_intro', { username: info.username ?? '' })}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            await api.post('/v1/auth/unlock', { token });
            history.replaceState(null, '', location.pathname + location.search);
            setDone(true);
          });
        }}
      >
        {action.error !== null && <ProblemNote error={action.error} />}
        <button class="sc-button" type="submit" disabled={action.busy}>
          {t('auth.unlock_button')}
        </button>
      </form>
      <p>
        <Link href="/forgot">{t('auth.forgot')}</Link>
      </p>
    </div>
  );
}

interface SignInAnswer {
  token?: string;
  next?: 'second_factor';
  challenge?: string;
}

/// The "fix your card" link of a failed-payment mail: one button (so that a mail scanner
/// following the link spends nothing), then the card page; a login with two-factor
/// sign-in gives its code first.
export function CardLink({ api, onSignedIn }: { api: Api; onSignedIn: () => void }) {
  const [token, info] = useLink(api);
  const [challenge, setChallenge] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const action = useAction();
  if (!info) return <p class="sc-loading" role="status">{t('app.loading')}</p>;
  if (info.next !== 'card' && !challenge) {
    return (
      <div class="sc-card sc-auth">
        <h1>{t('auth.card_title')}</h1>
        <p class="sc-notice" role="status">{t('auth.link_unusable')}</p>
        <button type="button" class="sc-button" onClick={() => navigate('/')}>
          {t('auth.sign_in')}
        </button>
      </div>
    );
  }
  const go = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const answer = challenge
        ? await api.post<SignInAnswer>('/v1/auth/sign-in/second-factor', { challenge, code, session: 'bearer' })
        : await api.post<SignInAnswer>('/v1/auth/card-link', { token, session: 'bearer' });
      history.replaceState(null, '', location.pathname + location.search);
      if (answer.next === 'second_factor' && answer.challenge) {
        setChallenge(answer.challenge);
        return;
      }
      api.token = answer.token ?? null;
      navigate('/payments');
      onSignedIn();
    });
  };
  return (
    <div class="sc-card sc-auth">
      <h1>{t('auth.card_title')}</h1>
      <form onSubmit={go}>
        {challenge ? (
          <Field label={t('auth.code')} name="code" value={code} onInput={setCode} autocomplete="one-time-code" inputmode="numeric" required />
        ) : (
          <p>{t('auth.card_intro', { username: info.username ?? '' })}</p>
        )}
        {action.error !== null && <ProblemNote error={action.error} />}
        <button class="sc-button" type="submit" disabled={action.busy}>
          {challenge ? t('auth.verify') : t('auth.card_button')}
        </button>
      </form>
    </div>
  );
}
