// The signed-in portal's pages: overview, services and a service (its bolt-ons, ordered),
// orders (halted ones resubmitted), usage (a chart and the CSV), account details.
import { BillingSummary } from '../shared/invoice';
import { useState } from 'preact/hooks';
import { Api, ApiProblem, PageOf, idempotencyKey } from '../shared/api';
import * as format from '../shared/format';
import { statusWords, t } from '../shared/i18n';
import { Empty, Field, Link, Loaded, PagedTable, ProblemNote, Table, useAction, useLoad, usePaged } from '../shared/ui';
import { EmergencyAddress, EmergencyForm, Features, FeaturesForm, OrderOffer } from './voice';
import { NewService } from './alerts';
import { Order, OrderFacts, OrderHistory, State, monthly } from '../shared/orders';
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


interface Month {
  period: string;
  total_charge: string;
  days: { date: string; by_type: Record<string, { charge: string }> }[];
}

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
        <Loaded load={month}>{(m) => <p class="sc-figure">{format.amount(m.total_charge)}</p>}</Loaded>
        <Loaded load={alerts}>
          {(list) => (
            <p>
              <Link href="/usage/alerts">{t('overview.alerts', { count: list.length })}</Link>
            </p>
          )}
        </Loaded>
      </section>
      {me.modules.includes('invoices') && me.actions.includes('billing_view') && <BillingSummary api={api} />}
      <section aria-labelledby="services">
        <h2 id="services">{t('overview.services')}</h2>
        <Loaded load={services}>{(list) => <ServiceTable services={list} href={(s) => `/services/${s.id}`} />}</Loaded>
      </section>
    </>
  );
}


export function Services({ api }: { api: Api }) {
  const services = useLoad(() => api.get<Service[]>('/v1/portal/services'));
  return (
    <>
      <h1>{t('nav.services')}</h1>
      <Loaded load={services}>{(list) => <ServiceTable services={list} href={(s) => `/services/${s.id}`} />}</Loaded>
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
          <h1>{s.identifier}</h1>
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
                  <EmergencyForm api={api} service={s.id} current={s.emergency_address} offer={o} onPlaced={service.reload} />
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
  const orders = usePaged<Order>(api, '/v1/portal/orders');
  return (
    <>
      <h1>{t('orders.title')}</h1>
      {me.actions.includes('orders_create') && <NewService api={api} onPlaced={orders.reload} />}
      <PagedTable
        paged={orders}
        rowKey={(o) => o.id}
        empty={t('orders.none')}
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
          { label: t('facts.price'), cell: (o) => (o.price ? monthly(o.price) : '—') },
          { label: t('orders.submitted'), cell: (o) => format.date(o.submitted_at) },
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

export function Usage({ api }: { api: Api }) {
  const month = useLoad(() => api.get<Month>('/v1/portal/usage'));
  const [preparing, setPreparing] = useState(false);
  const action = useAction();
  const download = () =>
    action.run(async () => {
      setPreparing(true);
      try {
        let job = await api.post<ExportJob>('/v1/portal/usage/exports', {}, { 'idempotency-key': idempotencyKey() });
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
    </>
  );
}

/// The month's spend by day, as bars; the figures are in the table under it for screen
/// readers and for anyone who wants numbers.
function DailyChart({ month }: { month: Month }) {
  const days = month.days.map((d) => ({
    date: d.date,
    charge: Object.values(d.by_type).reduce((sum, x) => sum + Number(x.charge), 0),
  }));
  if (days.length === 0) return <Empty text={t('usage.none')} />;
  const most = Math.max(...days.map((d) => d.charge), 0.01);
  const width = 600;
  const height = 160;
  const bar = width / days.length;
  return (
    <figure class="sc-card">
      <figcaption>
        {t('usage.chart')} — {t('usage.total', { amount: format.amount(month.total_charge) })}
      </figcaption>
      <svg class="sc-chart" viewBox={`0 0 ${width} ${height + 16}`} role="img" aria-label={t('usage.chart')}>
        {days.map((d, i) => {
          const h = (d.charge / most) * height;
          return (
            <g key={d.date}>
              <rect x={i * bar + 2} y={height - h} width={Math.max(bar - 4, 1)} height={h} />
              {i % 5 === 0 && (
                <text x={i * bar + 2} y={height + 12}>
                  {format.day(d.date)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>{t('usage.chart')}</summary>
        <table class="sc-table">
          <tbody>
            {days.map((d) => (
              <tr key={d.date}>
                <th scope="row">{format.day(d.date)}</th>
                <td>{format.amount(String(d.charge))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
