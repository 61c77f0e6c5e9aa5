// Sign-in security, for both sites: setting up two-factor sign-in (the QR code, the key to
// type, a code to confirm, recovery codes shown once to download or print), its settings
// (new recovery codes, turning it off where the provider allows) and changing the password.
import { useState } from 'preact/hooks';
import { Api } from './api';
import type { components } from './api-types';
import * as format from './format';
import { t } from './i18n';
import { Field, Loaded, ProblemNote, fieldError, useAction, useLoad } from './ui';

interface Setup {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
  expires_at: string;
}

interface Status {
  enabled: boolean;
  enabled_at: string | null;
  recovery_codes_left: number;
  required: boolean;
}

/// Recovery codes, shown once: to keep by download or print.
function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const download = () => {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([codes.join('\n') + '\n'], { type: 'text/plain' }));
    link.download = 'recovery-codes.txt';
    link.click();
    URL.revokeObjectURL(link.href);
  };
  return (
    <section class="sc-card" aria-labelledby="codes-heading">
      <h2 id="codes-heading">{t('security.codes_title')}</h2>
      <p>{t('security.codes_help')}</p>
      <ul class="sc-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <p class="sc-actions">
        <button type="button" class="sc-button sc-button-quiet" onClick={download}>
          {t('security.codes_download')}
        </button>
        <button type="button" class="sc-button sc-button-quiet" onClick={() => window.print()}>
          {t('security.codes_print')}
        </button>
        <button type="button" class="sc-button" onClick={onDone}>
          {t('security.codes_kept')}
        </button>
      </p>
    </section>
  );
}

/// Turning two-factor sign-in on: scan (or type the key), confirm with a code, keep the
/// recovery codes.
export function TwoFactorEnrolment({ api, onDone, required }: { api: Api; onDone: () => void; required?: boolean }) {
  const [setup, setSetup] = useState<Setup | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const action = useAction();
  if (codes) return <RecoveryCodes codes={codes} onDone={onDone} />;
  return (
    <section class="sc-card" aria-labelledby="enrol-heading">
      <h2 id="enrol-heading">{t('security.enrol_title')}</h2>
      {required && <p role="status">{t('security.enrol_required')}</p>}
      {action.error !== null && <ProblemNote error={action.error} />}
      {!setup ? (
        <button type="button" class="sc-button" disabled={action.busy} onClick={() => action.run(async () => setSetup(await api.post<Setup>('/v1/auth/two-factor/setup')))}>
          {t('security.enrol_start')}
        </button>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => setCodes((await api.post<{ recovery_codes: string[] }>('/v1/auth/two-factor/confirm', { code: code.trim() })).recovery_codes));
          }}
        >
          <p>{t('security.enrol_scan')}</p>
          <img class="sc-qr" src={`data:image/svg+xml;base64,${btoa(setup.qr_svg)}`} alt={t('security.qr_alt')} width={200} height={200} />
          <p>
            {t('security.enrol_key')} <code>{setup.secret}</code>
          </p>
          <Field label={t('auth.code')} name="enrol-code" value={code} onInput={setCode} autocomplete="one-time-code" inputmode="numeric" error={fieldError(action.error, '/code')} required />
          <button type="submit" class="sc-button" disabled={action.busy}>
            {t('security.enrol_confirm')}
          </button>
        </form>
      )}
    </section>
  );
}

function TwoFactorSettings({ api }: { api: Api }) {
  const status = useLoad(() => api.get<Status>('/v1/auth/two-factor'));
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [enrolling, setEnrolling] = useState(false);
  const action = useAction();
  if (codes) {
    return (
      <RecoveryCodes
        codes={codes}
        onDone={() => {
          setCodes(null);
          status.reload();
        }}
      />
    );
  }
  return (
    <Loaded load={status}>
      {(s) =>
        !s.enabled ? (
          enrolling ? (
            <TwoFactorEnrolment
              api={api}
              onDone={() => {
                setEnrolling(false);
                status.reload();
              }}
            />
          ) : (
            <section class="sc-card" aria-labelledby="two-factor-heading">
              <h2 id="two-factor-heading">{t('security.two_factor')}</h2>
              <p>{t('security.off')}</p>
              <button type="button" class="sc-button" onClick={() => setEnrolling(true)}>
                {t('security.enrol_start')}
              </button>
            </section>
          )
        ) : (
          <section class="sc-card" aria-labelledby="two-factor-heading">
            <h2 id="two-factor-heading">{t('security.two_factor')}</h2>
            <p role="status">{t('security.on', { since: format.date(s.enabled_at), left: s.recovery_codes_left })}</p>
            {action.error !== null && <ProblemNote error={action.error} />}
            <Field label={t('auth.code')} name="settings-code" value={code} onInput={setCode} autocomplete="one-time-code" inputmode="numeric" error={fieldError(action.error, '/code')} />
            <p class="sc-actions">
              <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => action.run(async () => setCodes((await api.post<{ recovery_codes: string[] }>('/v1/auth/two-factor/recovery-codes', { code: code.trim() })).recovery_codes))}>
                {t('security.new_codes')}
              </button>
            </p>
            {s.required ? (
              <p class="sc-hint">{t('security.required')}</p>
            ) : (
              <>
                <Field label={t('auth.password')} name="settings-password" type="password" value={password} onInput={setPassword} autocomplete="current-password" error={fieldError(action.error, '/password')} />
                <button
                  type="button"
                  class="sc-button sc-button-danger"
                  disabled={action.busy}
                  onClick={() =>
                    action.run(async () => {
                      await api.post('/v1/auth/two-factor/disable', { password, code: code.trim() });
                      setCode('');
                      setPassword('');
                      status.reload();
                    })
                  }
                >
                  {t('security.turn_off')}
                </button>
              </>
            )}
          </section>
        )
      }
    </Loaded>
  );
}

function ChangePassword({ api }: { api: Api }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [done, setDone] = useState(false);
  const action = useAction();
  return (
    <form
      class="sc-card"
      aria-labelledby="password-heading"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(false);
        action.run(async () => {
          await api.post('/v1/auth/change-password', { current_password: current, new_password: next });
          setCurrent('');
          setNext('');
          setDone(true);
        });
      }}
    >
      <h2 id="password-heading">{t('security.password_title')}</h2>
      {action.error !== null && <ProblemNote error={action.error} />}
      <Field label={t('security.current_password')} name="current-password" type="password" value={current} onInput={setCurrent} autocomplete="current-password" error={fieldError(action.error, '/current_password')} required />
      <Field label={t('auth.choose_password')} name="new-password" type="password" value={next} onInput={setNext} autocomplete="new-password" error={fieldError(action.error, '/new_password')} required />
      <p class="sc-actions">
        <button type="submit" class="sc-button" disabled={action.busy}>
          {t('security.password_change')}
        </button>
        {done && <span role="status">{t('security.password_changed')}</span>}
      </p>
    </form>
  );
}

type OwnSession = components['schemas']['OwnSession'];

/// Where this login is signed in, and "sign out everywhere else" (a lost phone, a shared
/// computer).
function Sessions({ api }: { api: Api }) {
  const sessions = useLoad(() => api.get<OwnSession[]>('/v1/auth/sessions'));
  const action = useAction();
  const [ended, setEnded] = useState<number | null>(null);
  return (
    <section class="sc-card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">{t('security.sessions_title')}</h2>
      <Loaded load={sessions}>
        {(list) => (
          <ul class="sc-plain">
            {list.map((s) => (
              <li key={s.started_at}>
                {t('security.session_line', { started: format.date(s.started_at), seen: format.date(s.last_seen_at) })}
                {s.current && <strong> · {t('security.this_session')}</strong>}
                {s.staff_acting && <> · {t('security.staff_session')}</>}
              </li>
            ))}
          </ul>
        )}
      </Loaded>
      <button
        type="button"
        class="sc-button sc-button-quiet"
        disabled={action.busy}
        onClick={() =>
          action.run(async () => {
            const result = await api.post<{ ended: number }>('/v1/auth/sessions/end-others', {});
            setEnded(result.ended);
            sessions.reload();
          })
        }
      >
        {t('security.end_others')}
      </button>
      {ended !== null && <p role="status">{t('security.ended', { count: ended })}</p>}
      {action.error !== null && <ProblemNote error={action.error} />}
    </section>
  );
}

/// The sign-in and security page of the signed-in login.
export function SecurityPage({ api }: { api: Api }) {
  return (
    <>
      <h1>{t('security.title')}</h1>
      <TwoFactorSettings api={api} />
      <ChangePassword api={api} />
      <Sessions api={api} />
    </>
  );
}
