// The account's details (the fields the provider lets customers change) and, for its
// owner, the account's other logins: invite, change role and ordering, remove.
import { useState } from 'preact/hooks';
import type { components } from '../shared/api-types';
import { Api } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { Field, Link, Loaded, ProblemNote, Table, fieldError, useAction, useLoad } from '../shared/ui';

interface Account {
  number: string;
  name: string;
  emails: string[];
  phones: string[];
  version: number;
}

export function AccountPage({ api, actions, impersonating }: { api: Api; actions: string[]; impersonating: boolean }) {
  const account = useLoad(() => api.get<Account>('/v1/portal/account'));
  const [edit, setEdit] = useState<{ name: string; emails: string; phones: string } | null>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const mayEdit = actions.includes('account_edit');
  return (
    <>
      <h1>{t('account.title')}</h1>
      <Loaded load={account}>
        {(a) =>
          edit && mayEdit ? (
            <form
              class="sc-card"
              onSubmit={(e) => {
                e.preventDefault();
                action.run(async () => {
                  const list = (text: string) => text.split(',').map((x) => x.trim()).filter(Boolean);
                  await api.patch('/v1/portal/account', { name: edit.name, emails: list(edit.emails), phones: list(edit.phones), expected_version: a.version });
                  setEdit(null);
                  setSaved(true);
                  account.reload();
                });
              }}
            >
              <Field label={t('account.name')} name="account-name" value={edit.name} onInput={(v) => setEdit({ ...edit, name: v })} error={fieldError(action.error, '/name')} />
              <Field label={t('account.emails')} name="account-emails" value={edit.emails} onInput={(v) => setEdit({ ...edit, emails: v })} error={fieldError(action.error, '/emails')} />
              <Field label={t('account.phones')} name="account-phones" value={edit.phones} onInput={(v) => setEdit({ ...edit, phones: v })} error={fieldError(action.error, '/phones')} />
              {action.error !== null && <ProblemNote error={action.error} />}
              <div class="sc-actions">
                <button type="submit" class="sc-button" disabled={action.busy}>
                  {t('app.save')}
                </button>
                <button type="button" class="sc-button sc-button-quiet" onClick={() => setEdit(null)}>
                  {t('app.cancel')}
                </button>
              </div>
            </form>
          ) : (
            <div class="sc-card">
              <dl>
                <dt>{t('account.number')}</dt>
                <dd>{a.number}</dd>
                <dt>{t('account.name')}</dt>
                <dd>{a.name}</dd>
                <dt>{t('account.emails')}</dt>
                <dd>{a.emails.join(', ')}</dd>
                <dt>{t('account.phones')}</dt>
                <dd>{a.phones.join(', ')}</dd>
              </dl>
              {saved && (
                <p class="sc-notice" role="status">
                  {t('branding.saved')}
                </p>
              )}
              {mayEdit && (
                <button type="button" class="sc-button" onClick={() => setEdit({ name: a.name, emails: a.emails.join(', '), phones: a.phones.join(', ') })}>
                  {t('account.edit')}
                </button>
              )}
            </div>
          )
        }
      </Loaded>
      <Loaded load={account}>{(a) => <MailChoices api={api} accountEmails={a.emails} impersonating={impersonating} />}</Loaded>
      {actions.includes('logins_manage') && <Logins api={api} />}
      <p>
        <Link href="/account/access">{t('nav.access')}</Link>
      </p>
    </>
  );
}

type Topic = components['schemas']['MailTopic'];

/// Which mail this login gets at its own address, beside the account's addresses.
function MailChoices({ api, accountEmails, impersonating }: { api: Api; accountEmails: string[]; impersonating: boolean }) {
  const choices = useLoad(() => api.get<components['schemas']['MailChoices']>('/v1/portal/notifications'));
  const [picked, setPicked] = useState<Topic[] | null>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  return (
    <section class="sc-card" aria-labelledby="mail-title">
      <h2 id="mail-title">{t('mail.title')}</h2>
      <Loaded load={choices}>
        {(c) => {
          const topics = picked ?? c.topics;
          return (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                action.run(async () => {
                  await api.put('/v1/portal/notifications', { topics });
                  setSaved(true);
                  setPicked(null);
                  choices.reload();
                });
              }}
            >
              <p>{t('mail.intro', { emails: accountEmails.join(', ') || '—', email: c.email })}</p>
              <fieldset class="sc-checks" disabled={impersonating}>
                <legend>{t('mail.title')}</legend>
                {c.offered.map((topic) => (
                  <label key={topic}>
                    <input
                      type="checkbox"
                      name={`mail-${topic}`}
                      checked={topics.includes(topic)}
                      onChange={(e) => {
                        setSaved(false);
                        const on = (e.currentTarget as HTMLInputElement).checked;
                        setPicked(on ? [...topics, topic] : topics.filter((x) => x !== topic));
                      }}
                    />{' '}
                    {t(`mail.topic.${topic}` as 'mail.topic.orders')}
                  </label>
                ))}
              </fieldset>
              {impersonating ? (
                <p>{t('mail.customer_chooses')}</p>
              ) : (
                <div class="sc-actions">
                  <button type="submit" class="sc-button" disabled={action.busy}>
                    {t('mail.save')}
                  </button>
                </div>
              )}
              {action.error !== null && <ProblemNote error={action.error} />}
              {saved && (
                <p class="sc-notice" role="status">
                  {t('mail.saved')}
                </p>
              )}
            </form>
          );
        }}
      </Loaded>
    </section>
  );
}

interface Login {
  id: string;
  username: string;
  email: string;
  name?: string | null;
  role?: string;
  allow_orders?: boolean;
}

const ROLES = ['owner', 'billing', 'technical', 'read_only'] as const;

function Logins({ api }: { api: Api }) {
  const logins = useLoad(() => api.get<Login[]>('/v1/portal/logins'));
  const invited = useLoad(() => api.get<components['schemas']['InvitedColleague'][]>('/v1/portal/logins/invitations'));
  const [invite, setInvite] = useState({ name: '', email: '', role: 'technical', allow_orders: false });
  const [sent, setSent] = useState(false);
  const action = useAction();
  return (
    <section aria-labelledby="logins">
      <h2 id="logins">{t('account.logins')}</h2>
      {action.error !== null && <ProblemNote error={action.error} />}
      <Loaded load={logins}>
        {(list) => (
          <Table
            rows={list}
            rowKey={(l) => l.id}
            empty={t('console.no_logins')}
            columns={[
              {
                label: t('auth.choose_username'),
                cell: (l) => (
                  <>
                    {l.username || l.email} <span class="sc-muted">{l.name}</span>
                  </>
                ),
              },
              { label: t('account.role'), cell: (l) => t(`role.${l.role ?? 'read_only'}` as 'role.owner') },
              {
                label: t('account.may_order'),
                cell: (l) => (
                  <input
                    type="checkbox"
                    aria-label={`${t('account.may_order')}: ${l.username || l.email}`}
                    checked={!!l.allow_orders}
                    disabled={l.role === 'owner' || action.busy}
                    onChange={(e) =>
                      action.run(async () => {
                        await api.patch(`/v1/portal/logins/${l.id}`, { role: l.role, allow_orders: (e.currentTarget as HTMLInputElement).checked });
                        logins.reload();
                      })
                    }
                  />
                ),
              },
              {
                label: t('app.actions'),
                cell: (l) =>
                  l.role !== 'owner' && (
                    <button
                      type="button"
                      class="sc-button sc-button-danger"
                      disabled={action.busy}
                      onClick={() =>
                        action.run(async () => {
                          if (!confirm(t('console.confirm_delete_login', { username: l.username || l.email }))) return;
                          await api.request('DELETE', `/v1/portal/logins/${l.id}`);
                          logins.reload();
                        })
                      }
                    >
                      {t('services.remove')}
                    </button>
                  ),
              },
            ]}
          />
        )}
      </Loaded>
      <Loaded load={invited}>
        {(list) =>
          list.length > 0 && (
            <>
              <h3>{t('account.invited_title')}</h3>
              <Table
                rows={list}
                rowKey={(i) => i.email}
                empty=""
                columns={[
                  { label: t('account.name'), cell: (i) => `${i.name} <${i.email}>` },
                  { label: t('account.role'), cell: (i) => t(`role.${i.role ?? 'read_only'}` as 'role.owner') },
                  {
                    label: t('orders.state'),
                    cell: (i) =>
                      new Date(i.valid_until) > new Date() ? t('account.invited_until', { date: format.date(i.valid_until) }) : <strong>{t('account.invitation_expired')}</strong>,
                  },
                ]}
              />
            </>
          )
        }
      </Loaded>
      <form
        class="sc-card"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            await api.post('/v1/portal/logins', invite);
            setSent(true);
            setInvite({ name: '', email: '', role: 'technical', allow_orders: false });
            logins.reload();
            invited.reload();
          });
        }}
      >
        <h3>{t('account.invite')}</h3>
        <Field label={t('account.name')} name="login-name" value={invite.name} onInput={(v) => setInvite({ ...invite, name: v })} required />
        <Field label={t('branding.support_email')} name="login-email" type="email" value={invite.email} onInput={(v) => setInvite({ ...invite, email: v })} required error={fieldError(action.error, '/email')} />
        <div class="sc-field">
          <label for="field-login-role">{t('account.role')}</label>
          <select id="field-login-role" value={invite.role} onChange={(e) => setInvite({ ...invite, role: (e.currentTarget as HTMLSelectElement).value })}>
            {ROLES.filter((r) => r !== 'owner').map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </select>
        </div>
        <label class="sc-field">
          <span>
            <input type="checkbox" checked={invite.allow_orders} onChange={(e) => setInvite({ ...invite, allow_orders: (e.currentTarget as HTMLInputElement).checked })} /> {t('account.may_order')}
          </span>
        </label>
        {sent && (
          <p class="sc-notice" role="status">
            {t('admin.invited')}
          </p>
        )}
        <button type="submit" class="sc-button" disabled={action.busy}>
          {t('admin.invite_button')}
        </button>
      </form>
    </section>
  );
}
