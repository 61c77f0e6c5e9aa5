// The console's pages. Every decision goes through the same endpoints a provider's own
// tools would call; a refused one (another person acted first) shows its problem.
import { useEffect, useState } from 'preact/hooks';
import { AccountBilling } from './billing';
import { AccountCardPayments } from './payments';
import { Api, PageOf, idempotencyKey } from '../shared/api';
import type { components } from '../shared/api-types';
import { Order, OrderFacts, OrderFilter, OrderFilters, OrderHistory, State, orderQuery } from '../shared/orders';
import { Service, ServiceTable } from '../shared/services';
import { navigate } from '../shared/router';
import * as format from '../shared/format';
import { actionWords, statusWords, t } from '../shared/i18n';
import { Empty, Field, Link, Loaded, PagedTable, ProblemNote, Table, fieldError, useAction, useLoad, usePaged } from '../shared/ui';

export interface StaffMe {
  username: string;
  language: string;
  provider: string;
  /// `retail` or `wholesale`.
  provider_kind: string;
  permissions: string[];
  two_factor_enrolment_required?: boolean;
}

type Details = Order['provisioning'];

/// A step that needs a reason: the button opens the field and a confirming button.
function WithReason(props: { label: string; reasonLabel: string; confirm: string; busy: boolean; onConfirm: (reason: string) => void; id: string }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  if (!open) {
    return (
      <button type="button" class="sc-button sc-button-quiet" onClick={() => setOpen(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <form
      class="sc-actions"
      onSubmit={(e) => {
        e.preventDefault();
        props.onConfirm(reason);
      }}
    >
      <Field label={props.reasonLabel} name={`reason-${props.id}`} value={reason} onInput={setReason} required />
      <button type="submit" class="sc-button sc-button-danger" disabled={props.busy}>
        {props.confirm}
      </button>
      <button type="button" class="sc-button sc-button-quiet" onClick={() => setOpen(false)}>
        {t('app.cancel')}
      </button>
    </form>
  );
}

/// Orders with everything staff decide on: what was asked in full, the price, the
/// customer (and the retailer, in a wholesaler's queue), and the history.
function OrderTable({ paged, actions, empty }: { paged: ReturnType<typeof usePaged<Order>>; actions: (o: Order) => preact.ComponentChildren; empty: string }) {
  return (
    <PagedTable
      paged={paged}
      rowKey={(o) => o.id}
      empty={empty}
      columns={[
        {
          label: t('console.order'),
          cell: (o) => (
            <>
              <OrderFacts order={o} staff />
              {o.wholesale && <p class="sc-muted">{t('console.wholesale')}</p>}
              <details>
                <summary>{t('facts.history')}</summary>
                <OrderHistory order={o} staff />
              </details>
            </>
          ),
        },
        { label: t('orders.state'), cell: (o) => <State state={o.state} staff /> },
        { label: t('app.actions'), cell: (o) => <div class="sc-actions">{actions(o)}</div> },
      ]}
    />
  );
}

const orderPath = (o: Order) => `/v1/console/accounts/${o.account.id}/orders/${o.id}`;

export function Pending({ api }: { api: Api }) {
  const orders = usePaged<Order>(api, '/v1/console/orders/pending');
  const action = useAction();
  const step = (o: Order, name: string, body: unknown = {}) =>
    action.run(async () => {
      await api.post(`${orderPath(o)}/${name}`, body);
      orders.reload();
    });
  return (
    <>
      <h1>{t('nav.pending')}</h1>
      {action.error !== null && <ProblemNote error={action.error} />}
      <OrderTable
        paged={orders}
        empty={t('console.pending_none')}
        actions={(o) => (
          <>
            <button type="button" class="sc-button" disabled={action.busy} aria-label={`${t('console.approve')}: ${o.summary}`} onClick={() => step(o, 'approve')}>
              {t('console.approve')}
            </button>
            <WithReason id={o.id} label={t('console.reject')} reasonLabel={t('console.reject_reason')} confirm={t('console.confirm_reject')} busy={action.busy} onConfirm={(reason) => step(o, 'reject', { reason })} />
          </>
        )}
      />
    </>
  );
}

export function History({ api }: { api: Api }) {
  const [filter, setFilter] = useState<OrderFilter | null>(null);
  const query = filter ? orderQuery(filter) : '';
  const orders = usePaged<Order>(api, `/v1/console/orders/history${query ? `?${query}` : ''}`);
  const action = useAction();
  return (
    <>
      <h1>{t('nav.history')}</h1>
      <OrderFilters staff states={['provisioning', 'provisioning_halted', 'completed', 'rejected']} onApply={setFilter} />
      {action.error !== null && <ProblemNote error={action.error} />}
      <OrderTable
        paged={orders}
        empty={query ? t('orders.none_match') : t('console.history_none')}
        actions={(o) =>
          o.state === 'rejected' && (
            <button
              type="button"
              class="sc-button sc-button-quiet"
              disabled={action.busy}
              onClick={() =>
                action.run(async () => {
                  await api.post(`${orderPath(o)}/undo-rejection`);
                  orders.reload();
                })
              }
            >
              {t('console.undo')}
            </button>
          )
        }
      />
    </>
  );
}

const STAGES = ['received', 'submitted', 'confirmed', 'scheduled'] as const;

/// What the people provisioning an order record as they go (the customer sees all but
/// the note).
function Details({ api, path, order, onSaved }: { api: Api; path: string; order: Order; onSaved: () => void }) {
  const [details, setDetails] = useState<Details>(order.provisioning ?? {});
  const action = useAction();
  const text = (key: 'reference' | 'expected_on' | 'note', label: Parameters<typeof t>[0]) => (
    <Field label={t(label)} name={`${key}-${order.id}`} value={details[key] ?? ''} onInput={(v) => setDetails({ ...details, [key]: v.trim() ? v : null })} error={fieldError(action.error, `/${key}`)} />
  );
  return (
    <details>
      <summary>{t('console.details')}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            await api.patch(path, details);
            onSaved();
          });
        }}
      >
        <div class="sc-field">
          <label for={`stage-${order.id}`}>{t('console.stage')}</label>
          <select id={`stage-${order.id}`} value={details.stage ?? ''} onChange={(e) => setDetails({ ...details, stage: ((e.currentTarget as HTMLSelectElement).value || null) as Details['stage'] })}>
            <option value="">—</option>
            {STAGES.map((stage) => (
              <option key={stage} value={stage}>
                {t(`stage.${stage}`)}
              </option>
            ))}
          </select>
        </div>
        {text('reference', 'console.reference')}
        {text('expected_on', 'console.expected_on')}
        {text('note', 'console.note')}
        {action.error !== null && <ProblemNote error={action.error} />}
        <button type="submit" class="sc-button sc-button-quiet" disabled={action.busy}>
          {t('app.save')}
        </button>
      </form>
    </details>
  );
}

export function Provisioning({ api }: { api: Api }) {
  const orders = usePaged<Order>(api, '/v1/console/provisioning');
  const [identifiers, setIdentifiers] = useState<Record<string, string>>({});
  const action = useAction();
  const path = (o: Order) => `/v1/console/provisioning/${o.provider}/${o.account.id}/${o.id}`;
  const step = (o: Order, name: string, body: unknown) =>
    action.run(async () => {
      await api.post(`${path(o)}/${name}`, body);
      orders.reload();
    });
  return (
    <>
      <h1>{t('nav.provisioning')}</h1>
      {action.error !== null && <ProblemNote error={action.error} />}
      <OrderTable
        paged={orders}
        empty={t('console.queue_none')}
        actions={(o) => (
          <>
            <Details api={api} path={path(o)} order={o} onSaved={orders.reload} />
            {o.state === 'provisioning' && (
            <>
              <Field label={t('console.identifier')} name={`identifier-${o.id}`} value={identifiers[o.id] ?? ''} onInput={(v) => setIdentifiers({ ...identifiers, [o.id]: v })} />
              <button type="button" class="sc-button" disabled={action.busy} onClick={() => step(o, 'activate', identifiers[o.id] ? { identifier: identifiers[o.id] } : {})}>
                {t('console.activate')}
              </button>
              <WithReason id={o.id} label={t('console.halt')} reasonLabel={t('console.halt_reason')} confirm={t('console.confirm_halt')} busy={action.busy} onConfirm={(reason) => step(o, 'halt', { reason })} />
            </>
            )}
          </>
        )}
      />
    </>
  );
}

interface AccountSummary {
  id: string;
  number: string;
  name: string;
  status: string;
}

interface AttributeDefinition {
  name: string;
  default?: string | null;
  required: boolean;
}

/// The attributes the provider's accounts carry (none when this staff member may not read them).
function useAttributeDefinitions(api: Api): AttributeDefinition[] {
  const [definitions, setDefinitions] = useState<AttributeDefinition[]>([]);
  useEffect(() => {
    api.get<AttributeDefinition[]>('/v1/console/settings/account-attributes').then(setDefinitions, () => setDefinitions([]));
  }, []);
  return definitions;
}

/// One field per attribute the provider defines, a required one marked so.
function AttributeFields({ definitions, values, onChange, error, prefix }: { definitions: AttributeDefinition[]; values: Record<string, string>; onChange: (next: Record<string, string>) => void; error: unknown; prefix: string }) {
  return (
    <>
      {definitions.map((d) => (
        <Field
          key={d.name}
          label={d.required ? t('attributes.field_required', { name: d.name }) : d.name}
          name={`${prefix}-${d.name}`}
          value={values[d.name] ?? ''}
          onInput={(v) => onChange({ ...values, [d.name]: v })}
          required={d.required}
          error={fieldError(error, `/attributes/${d.name}`)}
        />
      ))}
    </>
  );
}

function NewAccount({ api, onCreated }: { api: Api; onCreated: (id: string) => void }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const definitions = useAttributeDefinitions(api);
  const [attributes, setAttributes] = useState<Record<string, string>>({});
  const action = useAction();
  // Each attribute starts at its default.
  const values = Object.fromEntries(definitions.map((d) => [d.name, attributes[d.name] ?? d.default ?? '']));
  return (
    <form
      class="sc-card"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          const filled = Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== ''));
          const created = await api.post<{ id: string }>('/v1/console/accounts', { kind: 'end_user', name, emails: [email], attributes: filled }, { 'idempotency-key': idempotencyKey() });
          onCreated(created.id);
        });
      }}
    >
      <h2>{t('console.new_account')}</h2>
      <Field label={t('account.name')} name="new-name" value={name} onInput={setName} required error={fieldError(action.error, '/name')} />
      <Field label={t('branding.support_email')} name="new-email" type="email" value={email} onInput={setEmail} required error={fieldError(action.error, '/emails/0')} />
      <AttributeFields definitions={definitions} values={values} onChange={setAttributes} error={action.error} prefix="new-attribute" />
      {action.error !== null && <ProblemNote error={action.error} />}
      <button type="submit" class="sc-button" disabled={action.busy}>
        {t('console.open_account')}
      </button>
    </form>
  );
}

export function Accounts({ api, mayWrite }: { api: Api; mayWrite: boolean }) {
  const [text, setText] = useState('');
  const [query, setQuery] = useState('');
  const accounts = usePaged<AccountSummary>(api, `/v1/console/accounts${query ? `?q=${encodeURIComponent(query)}` : ''}`, 50);
  return (
    <>
      <h1>{t('nav.accounts')}</h1>
      <form
        class="sc-actions"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(text.trim());
        }}
      >
        <Field label={t('console.search')} name="q" type="search" value={text} onInput={setText} hint={t('console.search_hint')} />
        <button type="submit" class="sc-button">
          {t('console.search_button')}
        </button>
      </form>
      {mayWrite && <NewAccount api={api} onCreated={(id) => navigate(`/console/accounts/${id}`)} />}
      <PagedTable
        paged={accounts}
        rowKey={(a) => a.id}
        empty={query ? t('console.search_none') : t('app.empty')}
        columns={[
          { label: t('account.number'), cell: (a) => a.number, sort: (a) => a.number },
          { label: t('account.name'), cell: (a) => <Link href={`/console/accounts/${a.id}`}>{a.name}</Link>, sort: (a) => a.name },
          { label: t('services.status'), cell: (a) => statusWords(a.status), sort: (a) => statusWords(a.status) },
        ]}
      />
    </>
  );
}

interface LoginView {
  id: string;
  username: string;
  email: string;
  locked?: boolean;
}

interface PortalAccess {
  state: string;
  logins: LoginView[];
  offers: string[];
}

interface AccountDetailsView {
  name: string;
  emails: string[];
  phones: string[];
  group?: string | null;
  attributes: Record<string, string>;
  version: number;
}

/// An account's name, addresses and group, changed on the version read: a change someone
/// made meanwhile is refused, not overwritten.
function AccountDetails({ api, id, onSaved }: { api: Api; id: string; onSaved: () => void }) {
  const details = useLoad(() => api.get<AccountDetailsView>(`/v1/console/accounts/${id}`), [id]);
  const definitions = useAttributeDefinitions(api);
  const [edit, setEdit] = useState<{ name: string; emails: string; phones: string; group: string; attributes: Record<string, string> } | null>(null);
  const action = useAction();
  const list = (text: string) => text.split(',').map((x) => x.trim()).filter(Boolean);
  return (
    <Loaded load={details}>
      {(a) =>
        edit ? (
          <form
            class="sc-card"
            onSubmit={(e) => {
              e.preventDefault();
              action.run(async () => {
                await api.patch(`/v1/console/accounts/${id}`, {
                  name: edit.name,
                  emails: list(edit.emails),
                  phones: list(edit.phones),
                  group: edit.group.trim() || null,
                  attributes: Object.fromEntries(Object.entries(edit.attributes).filter(([, v]) => v.trim() !== '')),
                  expected_version: a.version,
                });
                setEdit(null);
                details.reload();
                onSaved();
              });
            }}
          >
            <Field label={t('account.name')} name="account-name" value={edit.name} onInput={(v) => setEdit({ ...edit, name: v })} error={fieldError(action.error, '/name')} />
            <Field label={t('account.emails')} name="account-emails" value={edit.emails} onInput={(v) => setEdit({ ...edit, emails: v })} />
            <Field label={t('account.phones')} name="account-phones" value={edit.phones} onInput={(v) => setEdit({ ...edit, phones: v })} />
            <Field label={t('console.group')} name="account-group" value={edit.group} onInput={(v) => setEdit({ ...edit, group: v })} error={fieldError(action.error, '/group')} />
            <AttributeFields definitions={definitions} values={edit.attributes} onChange={(attributes) => setEdit({ ...edit, attributes })} error={action.error} prefix="attribute" />
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
              <dt>{t('account.emails')}</dt>
              <dd>{a.emails.join(', ')}</dd>
              <dt>{t('account.phones')}</dt>
              <dd>{a.phones.join(', ')}</dd>
              <dt>{t('console.group')}</dt>
              <dd>{a.group ?? '—'}</dd>
              {[...new Set([...definitions.map((d) => d.name), ...Object.keys(a.attributes)])].map((name) => [<dt key={`n-${name}`}>{name}</dt>, <dd key={`v-${name}`}>{a.attributes[name] || '—'}</dd>])}
            </dl>
            <button type="button" class="sc-button sc-button-quiet" onClick={() => setEdit({ name: a.name, emails: a.emails.join(', '), phones: a.phones.join(', '), group: a.group ?? '', attributes: { ...a.attributes } })}>
              {t('account.edit')}
            </button>
          </div>
        )
      }
    </Loaded>
  );
}

/// The account's services with their plan, price and state.
function AccountServices({ api, id }: { api: Api; id: string }) {
  const services = useLoad(() => api.get<Service[]>(`/v1/console/accounts/${id}/services`), [id]);
  return (
    <section aria-labelledby="account-services">
      <h2 id="account-services">{t('nav.services')}</h2>
      <Loaded load={services}>
        {(list) => (
          <>
            <ServiceTable services={list} />
            <MonthUsage api={api} account={id} services={list} />
          </>
        )}
      </Loaded>
    </section>
  );
}

/// Each service's usage and spend this month, as its customer sees it.
function MonthUsage({ api, account, services }: { api: Api; account: string; services: Service[] }) {
  const months = useLoad(
    () => Promise.all(services.map((s) => api.get<components['schemas']['MonthView']>(`/v1/console/accounts/${account}/services/${s.id}/usage`))),
    [account, services.length],
  );
  if (services.length === 0) return null;
  return (
    <Loaded load={months}>
      {(list) => (
        <>
          <h3>{t('account.usage_this_month')}</h3>
          <Table
            rows={services.map((s, n) => ({ service: s, month: list[n] }))}
            rowKey={(r) => r.service.id}
            empty=""
            columns={[
              { label: t('services.identifier'), cell: (r) => r.service.identifier_shown },
              { label: t('usage.records'), cell: (r) => format.count(Object.values(r.month.by_type).reduce((n, x) => n + x.count, 0)), sort: (r) => Object.values(r.month.by_type).reduce((n, x) => n + x.count, 0) },
              { label: t('usage.spend'), cell: (r) => format.money(r.month.total_charge, r.month.currency), sort: (r) => Number(r.month.total_charge) },
            ]}
          />
        </>
      )}
    </Loaded>
  );
}

/// The account's orders, newest first, each with its facts and history.
function AccountOrders({ api, id }: { api: Api; id: string }) {
  const [filter, setFilter] = useState<OrderFilter | null>(null);
  const query = filter ? orderQuery(filter) : '';
  const orders = usePaged<Order>(api, `/v1/console/accounts/${id}/orders${query ? `?${query}` : ''}`);
  return (
    <section aria-labelledby="account-orders">
      <h2 id="account-orders">{t('nav.orders')}</h2>
      <OrderFilters staff onApply={setFilter} />
      <PagedTable
        paged={orders}
        rowKey={(o) => o.id}
        empty={query ? t('orders.none_match') : t('orders.none')}
        columns={[
          {
            label: t('console.order'),
            cell: (o) => (
              <details>
                <summary>
                  {o.reference} · {o.summary}
                </summary>
                <OrderFacts order={o} staff />
                <OrderHistory order={o} staff />
              </details>
            ),
          },
          { label: t('orders.state'), cell: (o) => <State state={o.state} staff />, sort: (o) => o.state },
          { label: t('orders.submitted'), cell: (o) => format.date(o.submitted_at), sort: (o) => o.submitted_at },
        ]}
      />
    </section>
  );
}

export function AccountPage({ api, id, mayBill, mayAudit }: { api: Api; id: string; mayBill: boolean; mayAudit: boolean }) {
  const account = useLoad(() => api.get<AccountSummary & { emails: string[] }>(`/v1/console/accounts/${id}`), [id]);
  const [renaming, setRenaming] = useState<Record<string, string>>({});
  const access = useLoad(() => api.get<PortalAccess>(`/v1/console/accounts/${id}/portal-access`), [id]);
  const [sent, setSent] = useState(false);
  const action = useAction();
  const [done, setDone] = useState<string | null>(null);
  const loginStep = (login: LoginView, step: string) =>
    action.run(async () => {
      await api.post(`/v1/console/accounts/${id}/logins/${login.id}/${step}`);
      setDone(t('console.done'));
      access.reload();
    });
  const impersonate = (login: LoginView, readOnly: boolean) =>
    action.run(async () => {
      // Opened first, filled after: a window opened after an await is a blocked pop-up.
      const portal = window.open('', '_blank');
      const started = await api.post<{ token: string }>(`/v1/console/accounts/${id}/logins/${login.id}/impersonate`, { read_only: readOnly });
      const url = `/${location.search}#impersonation=${encodeURIComponent(started.token)}`;
      if (portal) portal.location.href = url;
      else location.assign(url);
    });
  return (
    <Loaded load={account}>
      {(a) => (
        <>
          <h1>
            {a.name} ({a.number})
          </h1>
          <AccountDetails api={api} id={id} onSaved={account.reload} />
          <AccountServices api={api} id={id} />
          <AccountOrders api={api} id={id} />
          <p class="sc-actions">
            <span>
              {t('services.status')}: {statusWords(a.status)}
            </span>
            <button
              type="button"
              class={a.status === 'active' ? 'sc-button sc-button-danger' : 'sc-button'}
              disabled={action.busy}
              onClick={() =>
                action.run(async () => {
                  const deactivate = a.status === 'active';
                  if (deactivate && !confirm(t('console.confirm_deactivate', { name: a.name }))) return;
                  await api.post(`/v1/console/accounts/${id}/${deactivate ? 'deactivate' : 'reactivate'}`);
                  account.reload();
                })
              }
            >
              {t(a.status === 'active' ? 'console.deactivate' : 'console.reactivate')}
            </button>
          </p>
          <h2>{t('console.logins')}</h2>
          {action.error !== null && <ProblemNote error={action.error} />}
          {(sent || done) && (
            <p class="sc-notice" role="status">
              {sent ? t('console.create_sent') : done}
            </p>
          )}
          <Loaded load={access}>
            {(p) => (
              <div class="sc-card">
                {p.offers.includes('send_create_email') && (
                  <button
                    type="button"
                    class="sc-button"
                    disabled={action.busy}
                    onClick={() =>
                      action.run(async () => {
                        await api.post(`/v1/console/accounts/${id}/portal-access/create-email`);
                        setSent(true);
                        access.reload();
                      })
                    }
                  >
                    {t('console.send_create')}
                  </button>
                )}
                {p.logins.length === 0 ? (
                  <Empty text={t('console.no_logins')} />
                ) : (
                  <ul>
                    {p.logins.map((l) => (
                      <li key={l.id}>
                        <strong>{l.username}</strong> <span class="sc-muted">{l.email}</span>
                        <div class="sc-actions">
                          {l.locked && (
                            <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => loginStep(l, 'unlock')}>
                              {t('console.unlock')}
                            </button>
                          )}
                          <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => loginStep(l, 'reset-email')}>
                            {t('console.send_reset')}
                          </button>
                          <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => loginStep(l, 'two-factor/reset')}>
                            {t('console.reset_2fa')}
                          </button>
                          <Field label={t('console.new_username', { username: l.username })} name={`rename-${l.id}`} value={renaming[l.id] ?? ''} onInput={(v) => setRenaming({ ...renaming, [l.id]: v })} />
                          <button
                            type="button"
                            class="sc-button sc-button-quiet"
                            disabled={action.busy || !renaming[l.id]}
                            onClick={() =>
                              action.run(async () => {
                                await api.patch(`/v1/console/accounts/${id}/logins/${l.id}`, { username: renaming[l.id] });
                                setRenaming({ ...renaming, [l.id]: '' });
                                access.reload();
                              })
                            }
                          >
                            {t('console.rename')}
                          </button>
                          <button
                            type="button"
                            class="sc-button sc-button-danger"
                            disabled={action.busy}
                            onClick={() =>
                              action.run(async () => {
                                if (!confirm(t('console.confirm_delete_login', { username: l.username }))) return;
                                await api.request('DELETE', `/v1/console/accounts/${id}/logins/${l.id}`);
                                access.reload();
                              })
                            }
                          >
                            {t('console.delete_login')}
                          </button>
                          <button type="button" class="sc-button" disabled={action.busy} onClick={() => impersonate(l, false)}>
                            {t('console.impersonate')}
                          </button>
                          <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => impersonate(l, true)}>
                            {t('console.impersonate_ro')}
                          </button>
                        </div>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            )}
          </Loaded>
          <AccountBilling api={api} id={id} mayBill={mayBill} />
          {mayBill && <AccountCardPayments api={api} id={id} />}
          {mayAudit && <AccountTrail api={api} id={id} />}
        </>
      )}
    </Loaded>
  );
}

type AuditEntry = components['schemas']['AuditEntry'];

/// An audit entry's columns: when, who (and as whom), the action in words, the detail with
/// whatever `more` adds to it (a link to the entry's account on the whole trail).
function trailColumns(more: (e: AuditEntry) => preact.ComponentChildren) {
  return [
    { label: t('console.audit_when'), cell: (e: AuditEntry) => format.date(e.at), sort: (e: AuditEntry) => e.at },
    { label: t('console.audit_who'), cell: (e: AuditEntry) => e.actor_username + (e.on_behalf_of_username ? ` → ${e.on_behalf_of_username}` : ''), sort: (e: AuditEntry) => e.actor_username },
    { label: t('console.audit_action'), cell: (e: AuditEntry) => <span title={e.action}>{actionWords(e.action)}</span>, sort: (e: AuditEntry) => actionWords(e.action) },
    {
      label: t('console.audit_detail'),
      cell: (e: AuditEntry) => {
        const extra = more(e);
        return extra ? (
          <>
            {e.detail} · {extra}
          </>
        ) : (
          e.detail
        );
      },
    },
  ];
}

/// What staff did on this account, newest first, with the whole trail (filters, CSV) a
/// link away.
function AccountTrail({ api, id }: { api: Api; id: string }) {
  const paged = usePaged<AuditEntry>(api, `/v1/console/audit?account=${encodeURIComponent(id)}`, 10);
  return (
    <section aria-labelledby="account-trail">
      <h2 id="account-trail">{t('nav.audit')}</h2>
      <PagedTable
        paged={paged}
        rowKey={(e) => e.id}
        empty={t('audit.none')}
        columns={trailColumns(() => null)}
      />
      <p>
        <Link href={`/console/audit/accounts/${id}`}>{t('audit.whole_trail')}</Link>
      </p>
    </section>
  );
}

/// The audit trail, newest first, a page at a time: narrowed by staff member and days (and
/// to one account when opened from it), in words, and as a CSV file of what is shown.
export function Audit({ api, account }: { api: Api; account?: string }) {
  const staff = useLoad(() => api.get<PageOf<{ id: string; username: string; name?: string | null }>>('/v1/console/staff?limit=100').catch(() => ({ items: [] })));
  const [asked, setAsked] = useState({ actor: '', from: '', to: '' });
  const [draft, setDraft] = useState(asked);
  const query = new URLSearchParams();
  if (account) query.set('account', account);
  if (asked.actor) query.set('actor', asked.actor);
  if (asked.from) query.set('from', asked.from);
  if (asked.to) query.set('to', asked.to);
  const paged = usePaged<AuditEntry>(api, `/v1/console/audit?${query}`, 50);
  const download = useAction();
  const named = useLoad(() => (account ? api.get<AccountSummary>(`/v1/console/accounts/${account}`) : Promise.resolve(null)), [account]);
  return (
    <>
      <h1>{t('nav.audit')}</h1>
      <p>{t('audit.intro')}</p>
      {account && (
        <p>
          {t('audit.account_only', { name: named.value ? `${named.value.name} (${named.value.number})` : '…' })} · <Link href="/console/audit">{t('audit.all_accounts')}</Link>
        </p>
      )}
      <form
        class="sc-filters"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked(draft);
        }}
      >
        <label class="sc-field">
          <span>{t('audit.filter_staff')}</span>
          <select value={draft.actor} onChange={(e) => setDraft({ ...draft, actor: (e.target as HTMLSelectElement).value })}>
            <option value="">{t('audit.filter_anyone')}</option>
            {(staff.value?.items ?? []).map((m) => (
              <option key={m.id} value={m.id}>
                {m.name ? `${m.name} (${m.username})` : m.username}
              </option>
            ))}
          </select>
        </label>
        <label class="sc-field">
          <span>{t('audit.filter_from')}</span>
          <input type="date" value={draft.from} onInput={(e) => setDraft({ ...draft, from: (e.target as HTMLInputElement).value })} />
        </label>
        <label class="sc-field">
          <span>{t('audit.filter_to')}</span>
          <input type="date" value={draft.to} onInput={(e) => setDraft({ ...draft, to: (e.target as HTMLInputElement).value })} />
        </label>
        <button type="submit" class="sc-button">
          {t('audit.filter')}
        </button>
        <button
          type="button"
          class="sc-button sc-button-quiet"
          disabled={download.busy}
          onClick={() => download.run(() => api.download(`/v1/console/audit?${query.toString() ? `${query}&` : ''}format=csv`, `audit-trail${asked.from ? `-${asked.from}` : ''}${asked.to ? `-to-${asked.to}` : ''}.csv`))}
        >
          {t('audit.download')}
        </button>
      </form>
      {download.error !== null && <ProblemNote error={download.error} />}
      <PagedTable
        paged={paged}
        rowKey={(e) => e.id}
        empty={t('audit.none')}
        columns={trailColumns((e) => e.account && !account && <Link href={`/console/accounts/${e.account}`}>{t('audit.open_account')}</Link>)}
      />
    </>
  );
}

interface Retailer {
  id: string;
  name: string;
  slug: string;
  status: string;
  created_at: string;
}

/// A wholesaler's retailers, a page at a time.
export function Retailers({ api }: { api: Api }) {
  const [more, setMore] = useState<{ items: Retailer[]; next?: string | null }>({ items: [] });
  const first = useLoad(() => api.get<PageOf<Retailer>>('/v1/console/retailers?limit=25'));
  const action = useAction();
  return (
    <>
      <h1>{t('nav.retailers')}</h1>
      <p>{t('retailers.intro')}</p>
      <Loaded load={first}>
        {(page) => {
          const items = [...page.items, ...more.items];
          const next = more.items.length ? more.next : page.next_cursor;
          return (
            <>
              <Table
                rows={items}
                rowKey={(r) => r.id}
                empty={t('retailers.none')}
                columns={[
                  { label: t('retailers.name'), cell: (r) => r.name },
                  { label: t('retailers.slug'), cell: (r) => r.slug },
                  { label: t('retailers.status'), cell: (r) => t(r.status === 'active' ? 'retailers.active' : 'retailers.suspended') },
                  { label: t('retailers.since'), cell: (r) => format.date(r.created_at) },
                ]}
              />
              {next && (
                <button
                  type="button"
                  class="sc-button sc-button-quiet"
                  disabled={action.busy}
                  onClick={() =>
                    action.run(async () => {
                      const page = await api.get<PageOf<Retailer>>(`/v1/console/retailers?limit=25&cursor=${encodeURIComponent(next)}`);
                      setMore({ items: [...more.items, ...page.items], next: page.next_cursor });
                    })
                  }
                >
                  {t('app.more')}
                </button>
              )}
              {action.error !== null && <ProblemNote error={action.error} />}
            </>
          );
        }}
      </Loaded>
    </>
  );
}
