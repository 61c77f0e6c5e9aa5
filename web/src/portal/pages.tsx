// The signed-in portal's pages: overview, services and a service (its bolt-ons, ordered),
// orders (halted ones resubmitted), usage (a chart and the CSV), account details.
import { BillingSummary } from '../shared/invoice';
import { useState } from 'preact/hooks';
import { Api, ApiProblem, PageOf, idempotencyKey } from '../shared/api';
import * as format from '../shared/format';
import { statusWords, t } from '../shared/i18n';
import type { components } from '../shared/api-types';
import { Empty, Field, Link, Loaded, PagedTable, ProblemNote, Table, useAction, useLoad, usePaged } from '../shared/ui';
import { EmergencyAddress, EmergencyForm, Features, FeaturesForm, NumberList, OrderOffer } from './voice';
import { NewService } from './alerts';
import { Order, OrderFacts, OrderFilter, OrderFilters, OrderHistory, State, monthly, orderQuery } from '../shared/orders';
import { Service as ListedService, ServiceTable } from '../shared/services';

/// A service as the portal's own pages read it: with a voice number's features and address.
type Service = ListedService & { features: Features; emergency_address: EmergencyAddress | null };

export interface Me {
  login: string;
  username: string;
  language: string;
  role: string;
  account: { id: string; number: string; name: string };
  provider: string;
  modules: string[];
  actions: string[];
  impersonation: { by: string; read_only: boolean; ends_at: string } | null;
  /// Signed in from a "fix your card" link: the card pages only, for half an hour.
  card_pages_only?: boolean;
  two_factor_enrolment_required?: boolean;
  session_expires_at?: string;
}


/// A month's usage as the API gives it (generated types: infra/api-types.sh).
type Month = components['schemas']['MonthView'];
type UsageRecord = components['schemas']['RecordView'];

interface OfferedBoltOn {
  id: string;
  name: string;
  currency: string;
  price: string;
  attached: boolean;
}

export function Overview({ api, me }: { api: Api; me: Me }) {
  const services = useLoad(() => api.get<Service[]>('/v1/portal/services'));
  const month = useLoad(() => api.get<Month>('/v1/portal/usage'));
  const alerts = useLoad(() => api.get<unknown[]>('/v1/portal/usage/alerts'));
  return (
    <>
      <h1>{t('overview.welcome', { name: me.account.name })}</h1>
      <section class="sc-card" aria-labelledby="month">
        <h2 id="month">{t('overview.month')}</h2>
        <Loaded load={month}>{(m) => <p class="sc-figure">{format.money(m.total_charge, m.currency)}</p>}</Loaded>
        <Loaded load={alerts}>
          {(list) => (
            <p>
              <Link href="/usage/alerts">{t('overview.alerts', { count: list.length })}</Link>
            </p>
          )}
        </Loaded>
      </section>
      {me.modules.includes('invoices') && me.actions.includes('billing_view') && <BillingSummary api={api} />}
      <Loaded load={services}>{(list) => <Allowances api={api} services={list.filter((s) => s.allowances.length > 0)} />}</Loaded>
      <section aria-labelledby="services">
        <h2 id="services">{t('overview.services')}</h2>
        <Loaded load={services}>{(list) => <ServiceTable services={list} href={(s) => `/services/${s.id}`} />}</Loaded>
      </section>
      {me.modules.includes('orders') && <RecentOrders api={api} />}
    </>
  );
}


/// This month's allowances: what the bolt-ons include, what is used and what is left.
function Allowances({ api, services }: { api: Api; services: ListedService[] }) {
  const months = useLoad(() => Promise.all(services.map((s) => api.get<Month>(`/v1/portal/services/${s.id}/usage`))), [services.length]);
  if (services.length === 0) return null;
  const inUnits = (usage: string, n: number) => (usage === 'call' ? Math.floor(n / 60) : usage === 'data' ? Math.floor(n / 1_000_000) : n);
  return (
    <section class="sc-card" aria-labelledby="allowances">
      <h2 id="allowances">{t('overview.allowances')}</h2>
      <Loaded load={months}>
        {(list) => (
          <ul class="sc-plain sc-meters">
            {services.flatMap((s, n) =>
              s.allowances.map((a) => {
                const used = Math.min(list[n].by_type[a.usage]?.covered ?? 0, a.quantity);
                const words = t(`overview.allowance_${a.usage}` as 'overview.allowance_call', {
                  used: format.count(inUnits(a.usage, used)),
                  included: format.count(inUnits(a.usage, a.quantity)),
                  left: format.count(inUnits(a.usage, a.quantity - used)),
                });
                const id = `meter-${s.id}-${a.usage}`;
                return (
                  <li key={id}>
                    <span id={id}>
                      {s.identifier_shown}: {words}
                    </span>
                    <progress aria-labelledby={id} max={a.quantity} value={used} />
                  </li>
                );
              }),
            )}
          </ul>
        )}
      </Loaded>
    </section>
  );
}

/// The account's last few orders, each linking to its page.
function RecentOrders({ api }: { api: Api }) {
  const orders = useLoad(() => api.get<PageOf<Order>>('/v1/portal/orders?limit=3'));
  return (
    <section aria-labelledby="recent-orders">
      <h2 id="recent-orders">{t('overview.recent_orders')}</h2>
      <Loaded load={orders}>
        {(page) =>
          page.items.length === 0 ? (
            <Empty text={t('orders.none')} />
          ) : (
            <ul class="sc-plain">
              {page.items.map((o) => (
                <li key={o.id}>
                  <Link href={`/orders/${o.id}`}>{o.reference}</Link> · {o.summary} <State state={o.state} />
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <p>
        <Link href="/orders">{t('orders.back')}</Link>
      </p>
    </section>
  );
}

export function Services({ api }: { api: Api }) {
  const services = useLoad(() => api.get<Service[]>('/v1/portal/services'));
  return (
    <>
      <h1>{t('nav.services')}</h1>
      <Loaded load={services}>
        {(list) => (
          <>
            <ServiceTable services={list} href={(s) => `/services/${s.id}`} />
            <NumberList api={api} services={list} />
          </>
        )}
      </Loaded>
    </>
  );
}

export function ServicePage({ api, me, id }: { api: Api; me: Me; id: string }) {
  const service = useLoad(() => api.get<Service>(`/v1/portal/services/${id}`), [id]);
  const offered = useLoad(() => api.get<OfferedBoltOn[]>(`/v1/portal/services/${id}/bolt-ons`), [id]);
  const offer = useLoad(() => api.get<OrderOffer>('/v1/portal/orders/settings'));
  const [placed, setPlaced] = useState<Order | null>(null);
  // Bolt-ons with an order waiting: their button stays off (a second click would be the
  // same order; the API refuses it too, naming the first).
  const [waiting, setWaiting] = useState<Set<string>>(new Set());
  const action = useAction();
  const mayOrder = me.actions.includes('orders_create');
  const order = (kind: string, boltOn: OfferedBoltOn, identifier: string) =>
    action.run(async () => {
      if (kind === 'cancel_bolt_on' && !confirm(t('orders.confirm_remove', { name: boltOn.name, service: identifier }))) return;
      try {
        const result = await api.post<Order>(
          '/v1/portal/orders',
          { request: { kind, service: id, bolt_on: boltOn.id } },
          { 'idempotency-key': idempotencyKey() },
        );
        setPlaced(result);
        if (result.state === 'pending' || result.state === 'provisioning') setWaiting(new Set([...waiting, boltOn.id]));
      } catch (e) {
        if (!(e instanceof ApiProblem && e.type === '/problems/order-already-open')) throw e;
        setWaiting(new Set([...waiting, boltOn.id]));
      }
      service.reload();
      offered.reload();
    });
  return (
    <Loaded load={service}>
      {(s) => (
        <>
          <h1>{s.identifier_shown}</h1>
          <dl class="sc-card">
            <dt>{t('services.status')}</dt>
            <dd>{statusWords(s.status)}</dd>
            {s.plan_name && (
              <>
                <dt>{t('services.plan')}</dt>
                <dd>{s.plan_name}</dd>
              </>
            )}
            {s.price && (
              <>
                <dt>{t('facts.price')}</dt>
                <dd>{monthly(s.price)}</dd>
              </>
            )}
            <dt>{t('services.since')}</dt>
            <dd>{format.date(s.started_at)}</dd>
            {s.service_type === 'voice' && (
              <>
                <dt>{t('services.forward_to')}</dt>
                <dd>{s.features.forward_to ?? t('services.not_set')}</dd>
              </>
            )}
          </dl>
          <CostCentre api={api} service={s} mayEdit={me.actions.includes('account_edit')} onChanged={service.reload} />
          <h2>{t('services.bolt_ons')}</h2>
          {placed && (
            <p class="sc-notice" role="status">
              {t('orders.placed', { summary: placed.summary })} <State state={placed.state} />
            </p>
          )}
          {action.error !== null && <ProblemNote error={action.error} />}
          {!mayOrder && <p class="sc-muted">{t('services.cannot_order')}</p>}
          <Loaded load={offered}>
            {(list) =>
              list.length === 0 ? (
                <Empty text={t('services.no_bolt_ons')} />
              ) : (
                <table class="sc-table">
                  <tbody>
                    {list.map((b) => (
                      <tr key={b.id}>
                        <th scope="row">{b.name}</th>
                        <td>{t('services.per_month', { price: format.money(b.price, b.currency) })}</td>
                        <td>{b.attached ? <span class="sc-state sc-state-completed">{t('services.active')}</span> : null}</td>
                        <td>
                          {mayOrder && (
                            <button
                              type="button"
                              class={b.attached ? 'sc-button sc-button-quiet' : 'sc-button'}
                              disabled={action.busy || waiting.has(b.id)}
                              aria-label={`${t(waiting.has(b.id) ? 'services.ordered_waiting' : b.attached ? 'services.remove' : 'services.add')} ${b.name}`}
                              onClick={() => order(b.attached ? 'cancel_bolt_on' : 'subscribe_bolt_on', b, s.identifier)}
                            >
                              {t(waiting.has(b.id) ? 'services.ordered_waiting' : b.attached ? 'services.remove' : 'services.add')}
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )
            }
          </Loaded>
          {s.service_type === 'voice' && (
            <Loaded load={offer}>
              {(o) => (
                <>
                  <FeaturesForm api={api} service={s.id} current={s.features} offer={o} onPlaced={service.reload} />
                  <EmergencyForm api={api} service={s.id} country={s.country} current={s.emergency_address} offer={o} onPlaced={service.reload} />
                </>
              )}
            </Loaded>
          )}
        </>
      )}
    </Loaded>
  );
}

/// A halted order sent back: a port's carrier details can be corrected first (what a
/// halt usually asks for); other orders go back as they were.
function Resubmit({ order, busy, onSend }: { order: Order; busy: boolean; onSend: (request?: Record<string, unknown>) => void }) {
  const asked = order.request;
  const port = asked.kind === 'port_in';
  const [fields, setFields] = useState({
    losing_carrier: asked.kind === 'port_in' ? asked.losing_carrier : '',
    carrier_account: asked.kind === 'port_in' ? asked.carrier_account : '',
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        onSend(port ? { ...order.request, ...fields } : undefined);
      }}
    >
      {port && (
        <>
          <Field label={t('voice.losing_carrier')} name={`carrier-${order.id}`} value={fields.losing_carrier} onInput={(v) => setFields({ ...fields, losing_carrier: v })} />
          <Field label={t('voice.carrier_account')} name={`account-${order.id}`} value={fields.carrier_account} onInput={(v) => setFields({ ...fields, carrier_account: v })} />
        </>
      )}
      <button type="submit" class="sc-button" disabled={busy}>
        {t('orders.resubmit')}
      </button>
    </form>
  );
}

interface CostCentreView {
  id: string;
  name: string;
}

/// The cost centre a service is under: the account's own, chosen or made here.
function CostCentre({ api, service, mayEdit, onChanged }: { api: Api; service: Service; mayEdit: boolean; onChanged: () => void }) {
  const centres = useLoad(() => api.get<CostCentreView[]>('/v1/portal/cost-centres'));
  const [name, setName] = useState('');
  const action = useAction();
  const assign = (id: string | null) =>
    action.run(async () => {
      await api.put(`/v1/portal/services/${service.id}/cost-centre`, { cost_centre: id });
      onChanged();
    });
  return (
    <Loaded load={centres}>
      {(list) => (
        <div class="sc-card sc-actions">
          <div class="sc-field">
            <label for="field-cost-centre">{t('services.cost_centre')}</label>
            <select id="field-cost-centre" disabled={!mayEdit || action.busy} value={service.cost_centre ?? ''} onChange={(e) => assign((e.currentTarget as HTMLSelectElement).value || null)}>
              <option value="">{t('services.no_cost_centre')}</option>
              {list.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </div>
          {mayEdit && (
            <form
              class="sc-actions"
              onSubmit={(e) => {
                e.preventDefault();
                action.run(async () => {
                  const made = await api.post<CostCentreView>('/v1/portal/cost-centres', { name });
                  setName('');
                  centres.reload();
                  await api.put(`/v1/portal/services/${service.id}/cost-centre`, { cost_centre: made.id });
                  onChanged();
                });
              }}
            >
              <Field label={t('services.new_cost_centre')} name="cost-centre-name" value={name} onInput={setName} required />
              <button type="submit" class="sc-button sc-button-quiet" disabled={action.busy}>
                {t('services.add')}
              </button>
            </form>
          )}
          {action.error !== null && <ProblemNote error={action.error} />}
        </div>
      )}
    </Loaded>
  );
}

export function Orders({ api, me }: { api: Api; me: Me }) {
  const [filter, setFilter] = useState<OrderFilter | null>(null);
  const query = filter ? orderQuery(filter) : '';
  const orders = usePaged<Order>(api, `/v1/portal/orders${query ? `?${query}` : ''}`);
  return (
    <>
      <h1>{t('orders.title')}</h1>
      {me.actions.includes('orders_create') && <NewService api={api} onPlaced={orders.reload} />}
      <OrderFilters onApply={setFilter} />
      <PagedTable
        paged={orders}
        rowKey={(o) => o.id}
        empty={query ? t('orders.none_match') : t('orders.none')}
        columns={[
          { label: t('facts.reference'), cell: (o) => <Link href={`/orders/${o.id}`}>{o.reference}</Link> },
          { label: t('console.order'), cell: (o) => o.summary },
          {
            label: t('orders.state'),
            cell: (o) => (
              <>
                <State state={o.state} />
                {o.reason && (
                  <p>
                    {t('orders.reason')}: {o.reason}
                  </p>
                )}
                {o.provisioning.expected_on && <p>{t('orders.expected', { date: format.day(o.provisioning.expected_on) })}</p>}
              </>
            ),
          },
          { label: t('facts.price'), cell: (o) => (o.price ? monthly(o.price) : '—'), sort: (o) => o.price?.monthly_minor ?? 0 },
          { label: t('orders.submitted'), cell: (o) => format.date(o.submitted_at), sort: (o) => o.submitted_at },
        ]}
      />
    </>
  );
}

/// One order: what was asked, its price and history; a waiting order can be withdrawn,
/// a halted one sent again (changed as the reason asks).
export function OrderPage({ api, me, id }: { api: Api; me: Me; id: string }) {
  const order = useLoad(() => api.get<Order>(`/v1/portal/orders/${id}`), [id]);
  const action = useAction();
  const [asking, setAsking] = useState(false);
  const mayOrder = me.actions.includes('orders_create');
  const step = (name: 'withdraw' | 'resubmit', body?: unknown) =>
    action.run(async () => {
      await api.post(`/v1/portal/orders/${id}/${name}`, body ?? {});
      setAsking(false);
      order.reload();
    });
  return (
    <Loaded load={order}>
      {(o) => (
        <>
          <p>
            <Link href="/orders">{t('orders.back')}</Link>
          </p>
          <h1>
            {t('orders.order_title', { reference: o.reference })} <State state={o.state} />
          </h1>
          <OrderFacts order={o} />
          {mayOrder && o.state === 'pending' && !asking && (
            <button type="button" class="sc-button sc-button-quiet" onClick={() => setAsking(true)}>
              {t('orders.withdraw')}
            </button>
          )}
          {asking && (
            <div class="sc-card" role="group" aria-label={t('orders.withdraw')}>
              <p>{t('orders.withdraw_question', { summary: o.summary })}</p>
              <p class="sc-actions">
                <button type="button" class="sc-button sc-button-danger" disabled={action.busy} onClick={() => step('withdraw')}>
                  {t('orders.withdraw_confirm')}
                </button>
                <button type="button" class="sc-button sc-button-quiet" onClick={() => setAsking(false)}>
                  {t('orders.keep')}
                </button>
              </p>
            </div>
          )}
          {mayOrder && o.state === 'provisioning_halted' && <Resubmit order={o} busy={action.busy} onSend={(request) => step('resubmit', request ? { request } : {})} />}
          {action.error !== null && <ProblemNote error={action.error} />}
          <h2>{t('facts.history')}</h2>
          <OrderHistory order={o} />
        </>
      )}
    </Loaded>
  );
}

interface ExportJob {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  download_url?: string | null;
  error?: string | null;
}

/// `2026-12` and the eleven months before it, newest first.
function lastMonths(current: string, count = 12): string[] {
  const [year, month] = current.split('-').map(Number);
  return Array.from({ length: count }, (_, back) => {
    const total = year * 12 + (month - 1) - back;
    return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`;
  });
}

/// What a usage type's quantity means in words: minutes of calls, messages, megabytes.
function quantity(usage: string, totals: { count: number; quantity: number }): string {
  if (usage === 'call') return t('usage.minutes', { minutes: format.count(Math.ceil(totals.quantity / 60)), calls: format.count(totals.count) });
  if (usage === 'data') return t('usage.megabytes', { megabytes: format.count(Math.ceil(totals.quantity / 1_000_000)) });
  return t('usage.messages', { messages: format.count(totals.count) });
}

export function Usage({ api }: { api: Api }) {
  const [period, setPeriod] = useState<string | null>(null);
  const month = useLoad(() => api.get<Month>(`/v1/portal/usage${period ? `?period=${period}` : ''}`), [period]);
  const [current, setCurrent] = useState<string | null>(null);
  if (!current && month.value && !period) setCurrent(month.value.period);
  const services = useLoad(() => api.get<ListedService[]>('/v1/portal/services'));
  const [preparing, setPreparing] = useState(false);
  const action = useAction();
  const download = () =>
    action.run(async () => {
      setPreparing(true);
      try {
        let job = await api.post<ExportJob>('/v1/portal/usage/exports', period ? { period } : {}, { 'idempotency-key': idempotencyKey() });
        while (job.status === 'queued' || job.status === 'running') {
          await new Promise((r) => setTimeout(r, 1000));
          job = await api.get<ExportJob>(`/v1/portal/usage/exports/${job.id}`);
        }
        if (job.download_url) location.assign(job.download_url);
        else throw new Error(job.error ?? t('app.error'));
      } finally {
        setPreparing(false);
      }
    });
  return (
    <>
      <h1>{t('usage.title')}</h1>
      <p>
        <Link href="/usage/alerts">{t('nav.alerts')}</Link>
      </p>
      {current && (
        <div class="sc-field sc-narrow">
          <label for="usage-period">{t('usage.period')}</label>
          <select id="usage-period" value={period ?? current} onChange={(e) => setPeriod((e.currentTarget as HTMLSelectElement).value)}>
            {lastMonths(current).map((p) => (
              <option key={p} value={p}>
                {format.month(p)}
              </option>
            ))}
          </select>
        </div>
      )}
      <Loaded load={month}>{(m) => <DailyChart month={m} />}</Loaded>
      <div class="sc-actions">
        <button type="button" class="sc-button" disabled={action.busy} onClick={download}>
          {t('usage.download')}
        </button>
        {preparing && (
          <span role="status" class="sc-muted">
            {t('usage.preparing')}
          </span>
        )}
      </div>
      {action.error !== null && <ProblemNote error={action.error} />}
      <Loaded load={services}>{(list) => <UsageByService api={api} services={list} period={period ?? current} />}</Loaded>
    </>
  );
}

/// Each service's month by usage type, and its records a page at a time.
function UsageByService({ api, services, period }: { api: Api; services: ListedService[]; period: string | null }) {
  const months = useLoad(
    () => Promise.all(services.map((s) => api.get<Month>(`/v1/portal/services/${s.id}/usage${period ? `?period=${period}` : ''}`))),
    [period, services.length],
  );
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <section aria-labelledby="usage-by-service">
      <h2 id="usage-by-service">{t('usage.by_service')}</h2>
      <Loaded load={months}>
        {(list) => (
          <Table
            rows={services.map((s, n) => ({ service: s, month: list[n] }))}
            rowKey={(r) => r.service.id}
            empty={t('services.none')}
            columns={[
              { label: t('services.identifier'), cell: (r) => r.service.identifier_shown },
              {
                label: t('usage.used'),
                cell: (r) =>
                  Object.keys(r.month.by_type).length === 0 ? (
                    t('usage.nothing')
                  ) : (
                    <ul class="sc-plain">
                      {Object.entries(r.month.by_type).map(([usage, totals]) => (
                        <li key={usage}>{quantity(usage, totals)}</li>
                      ))}
                    </ul>
                  ),
              },
              { label: t('usage.spend'), cell: (r) => format.money(r.month.total_charge, r.month.currency) },
              {
                label: t('usage.records'),
                cell: (r) => (
                  <button type="button" class="sc-button sc-button-quiet" aria-expanded={chosen === r.service.id} onClick={() => setChosen(chosen === r.service.id ? null : r.service.id)}>
                    {t('usage.show_records', { service: r.service.identifier_shown })}
                  </button>
                ),
              },
            ]}
          />
        )}
      </Loaded>
      {chosen && <Records api={api} service={services.find((s) => s.id === chosen)!} period={period} />}
    </section>
  );
}

/// A service's call, message and data records for the month, newest first, paged.
function Records({ api, service, period }: { api: Api; service: ListedService; period: string | null }) {
  const records = usePaged<UsageRecord>(api, `/v1/portal/services/${service.id}/usage/records${period ? `?period=${period}` : ''}`, 50);
  return (
    <section aria-labelledby="usage-records">
      <h3 id="usage-records">{t('usage.records_of', { service: service.identifier_shown })}</h3>
      <PagedTable
        paged={records}
        rowKey={(r) => r.record_id}
        empty={t('usage.no_records')}
        columns={[
          { label: t('usage.when'), cell: (r) => format.date(r.started_at) },
          { label: t('usage.type'), cell: (r) => t(`usage.type_${r.usage}` as 'usage.type_call') },
          { label: t('usage.destination'), cell: (r) => r.destination || '—' },
          { label: t('usage.amount'), cell: (r) => quantity(r.usage, { count: 1, quantity: r.quantity }) },
          { label: t('usage.charge'), cell: (r) => format.money(r.charge, r.currency) },
        ]}
      />
    </section>
  );
}

/// The month's spend by day, as bars; the figures are in the table under it for screen
/// readers and for anyone who wants numbers.
function DailyChart({ month }: { month: Month }) {
  const days = month.days.map((d) => ({
    date: d.date,
    charge: Object.values(d.by_type).reduce((sum, x) => sum + Number(x.charge), 0),
  }));
  if (days.every((d) => d.charge === 0)) return <Empty text={t('usage.none_in', { month: format.month(month.period) })} />;
  const most = Math.max(...days.map((d) => d.charge), 0.01);
  // Drawn in a box of 600 by 200 that scales to the screen: the labels are large enough
  // to stay readable when a phone shrinks it to a third, and only every seventh day has one.
  const width = 600;
  const left = 80;
  const height = 160;
  const bar = (width - left) / days.length;
  const money = (n: number) => format.money(n, month.currency);
  return (
    <figure class="sc-card">
      <figcaption>
        {t('usage.chart')} — {t('usage.total', { amount: money(Number(month.total_charge)) })}
      </figcaption>
      <svg class="sc-chart" viewBox={`0 0 ${width} ${height + 30}`} role="img" aria-label={`${t('usage.chart')}: ${t('usage.total', { amount: money(Number(month.total_charge)) })}`}>
        <line class="sc-axis" x1={left - 4} y1={0} x2={left - 4} y2={height} />
        <text class="sc-axis-label" x={left - 8} y={14} text-anchor="end">
          {money(most)}
        </text>
        <text class="sc-axis-label" x={left - 8} y={height} text-anchor="end">
          {money(0)}
        </text>
        {days.map((d, i) => {
          const h = (d.charge / most) * height;
          return (
            <g key={d.date}>
              <rect x={left + i * bar + 1} y={height - h} width={Math.max(bar - 2, 1)} height={h}>
                <title>{`${format.day(d.date)}: ${money(d.charge)}`}</title>
              </rect>
              {i % 7 === 0 && (
                <text class="sc-axis-label" x={left + i * bar} y={height + 24}>
                  {format.day(d.date)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>{t('usage.figures')}</summary>
        <table class="sc-table">
          <thead>
            <tr>
              <th scope="col">{t('usage.day')}</th>
              <th scope="col">{t('usage.spend')}</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.date}>
                <th scope="row">{format.day(d.date)}</th>
                <td>{money(d.charge)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
