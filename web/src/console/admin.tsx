// Running the portal: staff and their permissions, login and email settings (access),
// the Locked Out Users report and failed mail.
import { useEffect, useState } from 'preact/hooks';
import { Api, PageOf } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { Empty, Field, Loaded, Loading, ProblemNote, Table, fieldError, useAction, useLoad } from '../shared/ui';

const PERMISSIONS = [
  'accounts_read',
  'accounts_write',
  'logins_manage',
  'orders_approve',
  'provisioning_manage',
  'branding_manage',
  'reports_view',
  'impersonate',
  'settings_manage',
  'staff_manage',
  'audit_view',
  'billing_manage',
] as const;

interface StaffView {
  id: string;
  username: string;
  email: string;
  name?: string | null;
  permissions?: string[];
  /// Account groups the member is limited to; absent: every account.
  groups?: string[] | null;
  locked: boolean;
}

/// A staff member's permissions, changed or the member removed (confirmed). Their
/// sessions end, so the change holds from their next sign-in.
function StaffAccess({ api, member, onChanged }: { api: Api; member: StaffView; onChanged: () => void }) {
  const [permissions, setPermissions] = useState<string[]>(member.permissions ?? []);
  const [groups, setGroups] = useState((member.groups ?? []).join(', '));
  const action = useAction();
  const groupList = groups.split(',').map((g) => g.trim()).filter(Boolean);
  return (
    <details>
      <summary>{(member.permissions ?? []).map((p) => t(`permission.${p}` as 'permission.audit_view')).join(', ')}</summary>
      <fieldset class="sc-checks">
        <legend>{member.username}</legend>
        {PERMISSIONS.map((p) => (
          <label key={p}>
            <input type="checkbox" checked={permissions.includes(p)} onChange={(e) => setPermissions((e.currentTarget as HTMLInputElement).checked ? [...permissions, p] : permissions.filter((x) => x !== p))} /> {t(`permission.${p}`)}
          </label>
        ))}
      </fieldset>
      <Field label={t('admin.groups')} name={`groups-${member.id}`} value={groups} onInput={setGroups} error={fieldError(action.error, '/groups')} />
      {action.error !== null && <ProblemNote error={action.error} />}
      <div class="sc-actions">
        <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => action.run(async () => { await api.patch(`/v1/console/staff/${member.id}`, { permissions, groups: groupList.length ? groupList : null }); onChanged(); })}>
          {t('console.edit_permissions')}
        </button>
        <button
          type="button"
          class="sc-button sc-button-danger"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              if (!confirm(t('console.confirm_remove_staff', { username: member.username }))) return;
              await api.request('DELETE', `/v1/console/staff/${member.id}`);
              onChanged();
            })
          }
        >
          {t('console.remove_staff')}
        </button>
      </div>
    </details>
  );
}

export function Staff({ api }: { api: Api }) {
  const staff = useLoad(() => api.get<PageOf<StaffView>>('/v1/console/staff?limit=100'));
  const [invite, setInvite] = useState({ email: '', name: '', permissions: ['accounts_read'] as string[] });
  const [sent, setSent] = useState(false);
  const action = useAction();
  return (
    <>
      <h1>{t('nav.staff')}</h1>
      <Loaded load={staff}>
        {(page) => (
          <Table
            rows={page.items}
            rowKey={(m) => m.id}
            empty={t('app.empty')}
            columns={[
              {
                label: t('auth.choose_username'),
                cell: (m) => (
                  <>
                    {m.username} {m.locked && <span class="sc-state sc-state-rejected">{t('console.locked')}</span>}
                  </>
                ),
              },
              { label: t('branding.support_email'), cell: (m) => m.email },
              { label: t('admin.permissions'), cell: (m) => <StaffAccess api={api} member={m} onChanged={staff.reload} /> },
            ]}
          />
        )}
      </Loaded>
      <form
        class="sc-card"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            await api.post('/v1/console/staff', invite);
            setSent(true);
            setInvite({ email: '', name: '', permissions: ['accounts_read'] });
            staff.reload();
          });
        }}
      >
        <h2>{t('admin.invite')}</h2>
        <Field label={t('account.name')} name="staff-name" value={invite.name} onInput={(v) => setInvite({ ...invite, name: v })} required />
        <Field label={t('branding.support_email')} name="staff-email" type="email" value={invite.email} onInput={(v) => setInvite({ ...invite, email: v })} required error={fieldError(action.error, '/email')} />
        <fieldset class="sc-checks">
          <legend>{t('admin.permissions')}</legend>
          {PERMISSIONS.map((p) => (
            <label key={p}>
              <input
                type="checkbox"
                name={`permission-${p}`}
                checked={invite.permissions.includes(p)}
                onChange={(e) =>
                  setInvite({
                    ...invite,
                    permissions: (e.currentTarget as HTMLInputElement).checked ? [...invite.permissions, p] : invite.permissions.filter((x) => x !== p),
                  })
                }
              />{' '}
              {t(`permission.${p}`)}
            </label>
          ))}
        </fieldset>
        {action.error !== null && <ProblemNote error={action.error} />}
        {sent && (
          <p class="sc-notice" role="status">
            {t('admin.invited')}
          </p>
        )}
        <button type="submit" class="sc-button" disabled={action.busy}>
          {t('admin.invite_button')}
        </button>
      </form>
    </>
  );
}

interface LockedOut {
  login: string;
  username: string;
  email: string;
  locked_at?: string | null;
  failed_attempts: number;
  last_failed_from?: string | null;
}

export function Reports({ api }: { api: Api }) {
  const report = useLoad(() => api.get<PageOf<LockedOut>>('/v1/console/reports/locked-out-users?limit=100'));
  const action = useAction();
  const download = () => action.run(() => api.download('/v1/console/reports/locked-out-users?format=csv&limit=100', 'locked-out-users.csv'));
  return (
    <>
      <h1>{t('admin.locked_out')}</h1>
      <Loaded load={report}>
        {(page) => (
          <Table
            rows={page.items}
            rowKey={(l) => l.login}
            empty={t('admin.none_locked')}
            columns={[
              { label: t('auth.choose_username'), cell: (l) => l.username },
              { label: t('branding.support_email'), cell: (l) => l.email },
              { label: t('admin.locked_at'), cell: (l) => format.date(l.locked_at) },
              {
                label: t('admin.attempts'),
                cell: (l) => (
                  <>
                    {l.failed_attempts} {l.last_failed_from && <span class="sc-muted">({l.last_failed_from})</span>}
                  </>
                ),
              },
            ]}
          />
        )}
      </Loaded>
      <button type="button" class="sc-button sc-button-quiet" onClick={download} disabled={action.busy}>
        {t('usage.download')}
      </button>
      {action.error !== null && <ProblemNote error={action.error} />}
    </>
  );
}

interface FailedMail {
  id: string;
  purpose: string;
  to: string[];
  created_at?: string | null;
  attempts: number;
  last_error?: string | null;
}

export function FailedMailPage({ api }: { api: Api }) {
  const mail = useLoad(() => api.get<PageOf<FailedMail>>('/v1/console/mail/failed?limit=100'));
  const action = useAction();
  return (
    <>
      <h1>{t('admin.failed_mail')}</h1>
      {action.error !== null && <ProblemNote error={action.error} />}
      <Loaded load={mail}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty text={t('admin.no_failed_mail')} />
          ) : (
            <ul class="sc-card">
              {page.items.map((m) => (
                <li key={m.id} class="sc-actions">
                  <span>
                    {m.purpose} → {m.to.join(', ')} <span class="sc-muted">{m.last_error}</span>
                  </span>
                  <button
                    type="button"
                    class="sc-button sc-button-quiet"
                    disabled={action.busy}
                    onClick={() =>
                      action.run(async () => {
                        await api.post(`/v1/console/mail/failed/${m.id}/retry`);
                        mail.reload();
                      })
                    }
                  >
                    {t('app.retry')}
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
    </>
  );
}

// The modules with pages on the portal (a service desk is not built yet, so not offered).
const MODULES = ['services', 'usage', 'invoices', 'payments', 'orders', 'number_ordering', 'e911', 'reports'] as const;

interface AccessSettings {
  send_create_email_on_new_account: boolean;
  create_link_days: number;
  lockout_threshold: number;
  two_factor_required_for_staff: boolean;
  two_factor_required_for_end_users: boolean;
  idle_minutes: number;
  absolute_hours: number;
  modules: string[];
  default_language: string;
  mail_from?: string | null;
  time_zone: string;
  phone_country?: string | null;
  [other: string]: unknown;
}

/// The IANA time zones the browser knows, for the time zone field's suggestions.
function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  return ['UTC', ...(intl.supportedValuesOf?.('timeZone') ?? [])];
}

export function AccessSettingsPage({ api }: { api: Api }) {
  const [settings, setSettings] = useState<AccessSettings | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => {
    api.get<AccessSettings>('/v1/console/settings/access').then(setSettings, setError);
  }, []);
  if (error) return <ProblemNote error={error} />;
  if (!settings) return <Loading />;
  const s = settings;
  const update = (next: Partial<AccessSettings>) => {
    setSaved(false);
    setSettings({ ...s, ...next });
  };
  const number = (key: 'create_link_days' | 'lockout_threshold' | 'idle_minutes' | 'absolute_hours', label: Parameters<typeof t>[0]) => (
    <Field label={t(label)} name={key} inputmode="numeric" value={String(s[key])} onInput={(v) => update({ [key]: Number(v) || 0 })} error={fieldError(action.error, `/${key}`)} />
  );
  const check = (key: 'send_create_email_on_new_account' | 'two_factor_required_for_staff' | 'two_factor_required_for_end_users', label: Parameters<typeof t>[0]) => (
    <label>
      <input type="checkbox" name={key} checked={s[key]} onChange={(e) => update({ [key]: (e.currentTarget as HTMLInputElement).checked })} /> {t(label)}
    </label>
  );
  return (
    <>
      <h1>{t('nav.access_settings')}</h1>
      <form
        class="sc-card"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            // Only the modules offered here (one stored before it was withdrawn is dropped).
            const modules = s.modules.filter((m) => (MODULES as readonly string[]).includes(m));
            setSettings(await api.put<AccessSettings>('/v1/console/settings/access', { ...s, modules }));
            setSaved(true);
          });
        }}
      >
        <fieldset class="sc-checks">
          <legend>{t('admin.modules')}</legend>
          {MODULES.map((m) => (
            <label key={m}>
              <input
                type="checkbox"
                name={`module-${m}`}
                checked={s.modules.includes(m)}
                onChange={(e) => update({ modules: (e.currentTarget as HTMLInputElement).checked ? [...s.modules, m] : s.modules.filter((x) => x !== m) })}
              />{' '}
              {t(`module.${m}`)}
            </label>
          ))}
        </fieldset>
        <fieldset class="sc-checks">
          <legend>{t('admin.sign_in')}</legend>
          {check('send_create_email_on_new_account', 'admin.create_on_new')}
          {check('two_factor_required_for_staff', 'admin.two_factor_staff')}
          {check('two_factor_required_for_end_users', 'admin.two_factor_users')}
        </fieldset>
        {number('create_link_days', 'admin.link_days')}
        {number('lockout_threshold', 'admin.lockout')}
        {number('idle_minutes', 'admin.idle')}
        {number('absolute_hours', 'admin.absolute')}
        <div class="sc-field">
          <label for="field-default-language">{t('app.language')}</label>
          <select id="field-default-language" name="default_language" value={s.default_language} onChange={(e) => update({ default_language: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="en">English</option>
            <option value="fr">Français</option>
          </select>
        </div>
        <Field label={t('admin.time_zone')} name="time_zone" value={s.time_zone} onInput={(v) => update({ time_zone: v.trim() })} error={fieldError(action.error, '/time_zone')} list="time-zones" hint={t('admin.time_zone_hint')} />
        <Field label={t('admin.phone_country')} name="phone_country" value={s.phone_country ?? ''} onInput={(v) => update({ phone_country: v.trim().toUpperCase() || null })} error={fieldError(action.error, '/phone_country')} hint={t('admin.phone_country_hint')} />
        <datalist id="time-zones">
          {timeZones().map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
        <Field label={t('admin.mail_from')} name="mail_from" type="email" value={s.mail_from ?? ''} onInput={(v) => update({ mail_from: v.trim() ? v : null })} error={fieldError(action.error, '/mail_from')} />
        {action.error !== null && <ProblemNote error={action.error} />}
        {saved && (
          <p class="sc-notice" role="status">
            {t('branding.saved')}
          </p>
        )}
        <button type="submit" class="sc-button" disabled={action.busy}>
          {t('app.save')}
        </button>
      </form>
    </>
  );
}

interface AccountAttribute {
  name: string;
  default?: string | null;
  required: boolean;
}

/// The attributes every account of the provider carries: a name, a default for new
/// accounts, and whether accounts must have one.
export function AccountAttributesPage({ api }: { api: Api }) {
  const [rows, setRows] = useState<AccountAttribute[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => {
    api.get<AccountAttribute[]>('/v1/console/settings/account-attributes').then(setRows, setError);
  }, []);
  if (error) return <ProblemNote error={error} />;
  if (!rows) return <Loading />;
  const change = (i: number, next: Partial<AccountAttribute>) => {
    setSaved(false);
    setRows(rows.map((row, j) => (j === i ? { ...row, ...next } : row)));
  };
  return (
    <>
      <h1>{t('nav.account_attributes')}</h1>
      <form
        class="sc-card"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            setRows(await api.put<AccountAttribute[]>('/v1/console/settings/account-attributes', rows));
            setSaved(true);
          });
        }}
      >
        <p>{t('attributes.intro')}</p>
        {rows.length === 0 && <p class="sc-empty">{t('attributes.none')}</p>}
        {rows.map((row, i) => (
          <fieldset key={i} class="sc-row">
            <legend>{row.name || t('attributes.new')}</legend>
            <Field label={t('attributes.name')} name={`attribute-${i}-name`} value={row.name} onInput={(v) => change(i, { name: v })} error={fieldError(action.error, `/${i}/name`)} />
            <Field label={t('attributes.default')} name={`attribute-${i}-default`} value={row.default ?? ''} onInput={(v) => change(i, { default: v || null })} error={fieldError(action.error, `/${i}/default`)} />
            <p>
              <label>
                <input type="checkbox" name={`attribute-${i}-required`} checked={row.required} onChange={(e) => change(i, { required: (e.currentTarget as HTMLInputElement).checked })} /> {t('attributes.required')}
              </label>
            </p>
            <button type="button" class="sc-button sc-button-quiet" onClick={() => setRows(rows.filter((_, j) => j !== i))}>
              {row.name ? t('attributes.remove', { name: row.name }) : t('attributes.remove_new')}
            </button>
          </fieldset>
        ))}
        <div class="sc-actions">
          <button type="button" class="sc-button sc-button-quiet" onClick={() => setRows([...rows, { name: '', default: null, required: false }])}>
            {t('attributes.add')}
          </button>
          <button type="submit" class="sc-button" disabled={action.busy}>
            {t('app.save')}
          </button>
        </div>
        {action.error !== null && <ProblemNote error={action.error} />}
        {saved && (
          <p class="sc-notice" role="status">
            {t('attributes.saved')}
          </p>
        )}
      </form>
    </>
  );
}
