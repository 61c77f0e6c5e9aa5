// Card payments in the console: the provider's gateway connection and card payment
// settings with the gateway check, an account's card payments (refund, retry a failed
// autopay), and the card reports (Cardlines by Invoice, takings by day, failed payments).
import { useState } from 'preact/hooks';
import { Api, idempotencyKey } from '../shared/api';
import * as format from '../shared/format';
import { t, type Key } from '../shared/i18n';
import { Field, Link, Loaded, ProblemNote, Table, fieldError, useAction, useLoad } from '../shared/ui';
import { minorUnits } from './billing';

interface Connection {
  gateway: 'stripe' | 'embedded';
  publishable_key: string;
  key_last4: string;
  connected_by: string;
  connected_at: string;
  webhook_path: string;
}

interface PaymentSettings {
  autopay_required: boolean;
  autopay_on: 'issue' | 'due_date';
  retry_days: number[];
}

interface Difference {
  gateway_id: string;
  payment: string | null;
  amount: number;
  what: string;
}

type Status = 'pending' | 'requires_action' | 'processing' | 'succeeded' | 'failed' | 'canceled';

interface CardPayment {
  id: string;
  status: Status;
  origin: 'portal' | 'autopay';
  currency: string;
  amount: string;
  refunded: string;
  invoice: string | null;
  invoice_number: string | null;
  failure: string | null;
  card: { brand: string; last4: string } | null;
  reference: string | null;
  next_retry_on: string | null;
  attempts: number;
  created_at: string;
}

interface CardLine {
  payment: string;
  day: string;
  account: string;
  account_number: string;
  account_name: string;
  invoice_number: string | null;
  brand: string | null;
  last4: string | null;
  currency: string;
  amount: string;
  refunded: string;
  fee: string | null;
  status: Status;
  origin: 'portal' | 'autopay';
  failure: string | null;
  attempts: number;
  next_retry_on: string | null;
}

interface CardDay {
  day: string;
  currency: string;
  succeeded: number;
  failed: number;
  taken: string;
  refunded: string;
  fees: string;
  fees_unknown: number;
  net: string;
}

const statusWords = (s: Status) => t(`pay.status.${s}` as Key);

/// `Visa ···· 4242`: the card as the gateway names it, never more of its number.
const cardWords = (brand: string, last4: string) => `${brand.charAt(0).toUpperCase()}${brand.slice(1)} ···· ${last4}`;

/// The gateway connection, the card payment settings and the check against the gateway.
export function PaymentSettingsPage({ api }: { api: Api }) {
  return (
    <>
      <h1>{t('nav.payment_settings')}</h1>
      <GatewayConnection api={api} />
      <CardSettings api={api} />
      <GatewayCheck api={api} />
    </>
  );
}

function GatewayConnection({ api }: { api: Api }) {
  const connection = useLoad(() => api.get<Connection | null>('/v1/console/payments/gateway'));
  const [form, setForm] = useState<{ publishable_key: string; secret_key: string; webhook_secret: string } | null>(null);
  const action = useAction();
  const empty = { publishable_key: '', secret_key: '', webhook_secret: '' };
  return (
    <section aria-labelledby="gateway-heading">
      <h2 id="gateway-heading">{t('cpay.gateway')}</h2>
      {action.error !== null && <ProblemNote error={action.error} />}
      <Loaded load={connection}>
        {(c) => (
          <>
            {c ? (
              <div class="sc-card">
                <p role="status">{t('cpay.connected', { gateway: c.gateway === 'stripe' ? 'Stripe' : t('cpay.test_gateway') })}</p>
                <dl>
                  <dt>{t('cpay.publishable_key')}</dt>
                  <dd>{c.publishable_key}</dd>
                  <dt>{t('cpay.secret_key')}</dt>
                  <dd>{`…${c.key_last4}`}</dd>
                  <dt>{t('cpay.connected_by')}</dt>
                  <dd>{t('cpay.by_on', { who: c.connected_by, when: format.date(c.connected_at) })}</dd>
                  <dt>{t('cpay.webhook')}</dt>
                  <dd>
                    <code>{location.origin + c.webhook_path}</code>
                  </dd>
                </dl>
                {!form && (
                  <p class="sc-actions">
                    <button type="button" class="sc-button sc-button-quiet" onClick={() => setForm(empty)}>
                      {t('cpay.replace_keys')}
                    </button>
                    <button
                      type="button"
                      class="sc-button sc-button-quiet"
                      disabled={action.busy}
                      onClick={() => {
                        if (!confirm(t('cpay.confirm_disconnect'))) return;
                        action.run(async () => {
                          await api.delete('/v1/console/payments/gateway');
                          connection.reload();
                        });
                      }}
                    >
                      {t('cpay.disconnect')}
                    </button>
                  </p>
                )}
              </div>
            ) : (
              <p class="sc-card">{t('cpay.not_connected')}</p>
            )}
            {(form || !c) && (
              <form
                class="sc-card"
                onSubmit={(e) => {
                  e.preventDefault();
                  const keys = form ?? empty;
                  action.run(async () => {
                    await api.put<Connection>('/v1/console/payments/gateway', keys);
                    setForm(null);
                    connection.reload();
                  });
                }}
              >
                <p class="sc-hint">{t('cpay.keys_help')}</p>
                <Field label={t('cpay.publishable_key')} name="publishable-key" value={(form ?? empty).publishable_key} onInput={(v) => setForm({ ...(form ?? empty), publishable_key: v })} error={fieldError(action.error, '/publishable_key')} required />
                <Field label={t('cpay.secret_key')} name="secret-key" type="password" autocomplete="off" value={(form ?? empty).secret_key} onInput={(v) => setForm({ ...(form ?? empty), secret_key: v })} error={fieldError(action.error, '/secret_key')} required />
                <Field label={t('cpay.webhook_secret')} name="webhook-secret" type="password" autocomplete="off" value={(form ?? empty).webhook_secret} onInput={(v) => setForm({ ...(form ?? empty), webhook_secret: v })} error={fieldError(action.error, '/webhook_secret')} required />
                <p class="sc-actions">
                  <button type="submit" class="sc-button" disabled={action.busy}>
                    {t('cpay.connect')}
                  </button>
                  {c && (
                    <button type="button" class="sc-button sc-button-quiet" onClick={() => setForm(null)}>
                      {t('app.cancel')}
                    </button>
                  )}
                </p>
              </form>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

function CardSettings({ api }: { api: Api }) {
  const settings = useLoad(() => api.get<PaymentSettings>('/v1/console/payments/settings'));
  const [form, setForm] = useState<PaymentSettings | null>(null);
  const [retryDays, setRetryDays] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  return (
    <section aria-labelledby="card-settings-heading">
      <h2 id="card-settings-heading">{t('cpay.settings')}</h2>
      <Loaded load={settings}>
        {(loaded) => {
          const s = form ?? loaded;
          const days = retryDays ?? loaded.retry_days.join(', ');
          const set = (change: Partial<PaymentSettings>) => {
            setSaved(false);
            setForm({ ...s, ...change });
          };
          return (
            <form
              class="sc-card"
              onSubmit={(e) => {
                e.preventDefault();
                action.run(async () => {
                  const retry_days = days
                    .split(/[,\s]+/)
                    .filter((d) => d)
                    .map((d) => (/^\d+$/.test(d) ? Number(d) : 0));
                  const stored = await api.put<PaymentSettings>('/v1/console/payments/settings', { ...s, retry_days });
                  setForm(stored);
                  setRetryDays(stored.retry_days.join(', '));
                  setSaved(true);
                });
              }}
            >
              {action.error !== null && <ProblemNote error={action.error} />}
              <div class="sc-field">
                <label>
                  <input type="checkbox" checked={s.autopay_required} onChange={(e) => set({ autopay_required: (e.currentTarget as HTMLInputElement).checked })} /> {t('cpay.autopay_required')}
                </label>
              </div>
              <div class="sc-field">
                <label for="field-autopay-on">{t('cpay.autopay_on')}</label>
                <select id="field-autopay-on" value={s.autopay_on} onChange={(e) => set({ autopay_on: (e.currentTarget as HTMLSelectElement).value as PaymentSettings['autopay_on'] })}>
                  <option value="issue">{t('cpay.on_issue')}</option>
                  <option value="due_date">{t('cpay.on_due_date')}</option>
                </select>
              </div>
              <Field
                label={t('cpay.retry_days')}
                name="retry-days"
                value={days}
                onInput={(v) => {
                  setSaved(false);
                  setRetryDays(v);
                }}
                hint={t('cpay.retry_days_help')}
                error={fieldError(action.error, '/retry_days')}
              />
              <p class="sc-actions">
                <button type="submit" class="sc-button" disabled={action.busy}>
                  {t('app.save')}
                </button>
                {saved && <span role="status">{t('cpay.saved')}</span>}
              </p>
            </form>
          );
        }}
      </Loaded>
    </section>
  );
}

interface GatewayCheckResult {
  checked_at: string;
  day: string;
  differences: Difference[];
}

/// The gateway's recent balance against the ledger: the last check (the schedule runs one
/// a day) and one now; differences listed, fees learnt.
function GatewayCheck({ api }: { api: Api }) {
  const last = useLoad(() => api.get<GatewayCheckResult | null>('/v1/console/payments/reconciliation'));
  const action = useAction();
  return (
    <section aria-labelledby="gateway-check-heading">
      <h2 id="gateway-check-heading">{t('cpay.check')}</h2>
      <p class="sc-hint">{t('cpay.check_help')}</p>
      {action.error !== null && <ProblemNote error={action.error} />}
      <Loaded load={last}>
        {(check) =>
          check ? (
            <>
              <p role="status">{t('cpay.checked_at', { when: format.date(check.checked_at) })}</p>
              <Table
                rows={check.differences}
                rowKey={(d) => d.gateway_id}
                empty={t('cpay.agree')}
                columns={[
                  { label: t('cpay.gateway_id'), cell: (d) => <code>{d.gateway_id}</code> },
                  { label: t('reconcile.amount'), cell: (d) => format.amount(d.amount / 100) },
                  { label: t('cpay.difference'), cell: (d) => d.what },
                ]}
              />
            </>
          ) : (
            <p>{t('cpay.never_checked')}</p>
          )
        }
      </Loaded>
      <p class="sc-actions">
        <button
          type="button"
          class="sc-button sc-button-quiet"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              await api.post('/v1/console/payments/reconciliation');
              last.reload();
            })
          }
        >
          {t('cpay.check_now')}
        </button>
      </p>
    </section>
  );
}

/// An account's card payments on its console page: refund one, try a failed autopay again.
export function AccountCardPayments({ api, id }: { api: Api; id: string }) {
  const base = `/v1/console/accounts/${id}/card-payments`;
  const list = useLoad(() => api.get<CardPayment[]>(base), [id]);
  const [refunding, setRefunding] = useState<{ payment: string; amount: string; key: string } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();
  return (
    <section aria-labelledby="card-payments-heading">
      <h2 id="card-payments-heading">{t('cpay.account_title')}</h2>
      {action.error !== null && <ProblemNote error={action.error} />}
      {done && (
        <p class="sc-notice" role="status">
          {done}
        </p>
      )}
      <Loaded load={list}>
        {(payments) => (
          <Table
            rows={payments}
            rowKey={(p) => p.id}
            empty={t('pay.none')}
            columns={[
              { label: t('pay.when'), cell: (p) => format.date(p.created_at) },
              { label: t('pay.what'), cell: (p) => (p.invoice ? <Link href={`/console/accounts/${id}/invoices/${p.invoice}`}>{p.invoice_number ?? p.invoice}</Link> : t('pay.ahead')) },
              { label: t('pay.card'), cell: (p) => (p.card ? cardWords(p.card.brand, p.card.last4) : '—') },
              { label: t('reconcile.amount'), cell: (p) => format.money(p.amount, p.currency) },
              {
                label: t('pay.status'),
                cell: (p) => (
                  <>
                    {statusWords(p.status)}
                    {p.origin === 'autopay' && ` · ${t('cpay.autopay')}`}
                    {Number(p.refunded) > 0 && ` · ${t('pay.refunded', { amount: format.money(p.refunded, p.currency) })}`}
                    {p.failure && <div class="sc-hint">{p.failure}</div>}
                    {p.next_retry_on && <div class="sc-hint">{t('pay.next_retry', { date: format.day(p.next_retry_on) })}</div>}
                  </>
                ),
              },
              {
                label: t('app.actions'),
                cell: (p) =>
                  refunding?.payment === p.id ? (
                    <form
                      class="sc-actions"
                      onSubmit={(e) => {
                        e.preventDefault();
                        const minor = refunding.amount.trim() === '' ? undefined : minorUnits(refunding.amount);
                        action.run(async () => {
                          const after = await api.post<CardPayment>(`${base}/${p.id}/refunds`, minor === undefined ? {} : { amount_minor: minor }, { 'idempotency-key': refunding.key });
                          setRefunding(null);
                          setDone(t('cpay.refund_done', { amount: format.money(after.refunded, after.currency) }));
                          list.reload();
                        });
                      }}
                    >
                      <Field label={t('cpay.refund_amount')} name={`refund-${p.id}`} inputmode="decimal" value={refunding.amount} onInput={(v) => setRefunding({ ...refunding, amount: v })} hint={t('cpay.refund_help', { amount: format.money((Number(p.amount) - Number(p.refunded)).toFixed(2), p.currency) })} error={fieldError(action.error, '/amount_minor')} />
                      <button type="submit" class="sc-button" disabled={action.busy}>
                        {t('cpay.refund_confirm')}
                      </button>
                      <button type="button" class="sc-button sc-button-quiet" onClick={() => setRefunding(null)}>
                        {t('app.cancel')}
                      </button>
                    </form>
                  ) : (
                    <div class="sc-actions">
                      {p.status === 'succeeded' && Number(p.refunded) < Number(p.amount) && (
                        <button type="button" class="sc-button sc-button-quiet" onClick={() => setRefunding({ payment: p.id, amount: '', key: idempotencyKey() })}>
                          {t('cpay.refund')}
                        </button>
                      )}
                      {p.status === 'failed' && p.origin === 'autopay' && (
                        <button
                          type="button"
                          class="sc-button sc-button-quiet"
                          disabled={action.busy}
                          onClick={() =>
                            action.run(async () => {
                              const after = await api.post<CardPayment>(`${base}/${p.id}/retry`);
                              setDone(t('cpay.retried', { status: statusWords(after.status) }));
                              list.reload();
                            })
                          }
                        >
                          {t('cpay.retry')}
                        </button>
                      )}
                    </div>
                  ),
              },
            ]}
          />
        )}
      </Loaded>
    </section>
  );
}


/// Cardlines by Invoice, card takings by day and failed card payments for a period.
export function CardReports({ api }: { api: Api }) {
  const [period, setPeriod] = useState({ from: format.today(-29), to: format.today() });
  const [shown, setShown] = useState<{ lines: CardLine[]; days: CardDay[]; failed: CardLine[] } | null>(null);
  const action = useAction();
  const query = `from=${encodeURIComponent(period.from)}&to=${encodeURIComponent(period.to)}`;
  const download = (report: string) => action.run(() => api.download(`/v1/console/reports/${report}?${query}&format=csv`, `${report}-${period.from}-to-${period.to}.csv`));
  const lineColumns = [
    { label: t('cpay.day'), cell: (l: CardLine) => format.day(l.day) },
    { label: t('invoice.account'), cell: (l: CardLine) => <Link href={`/console/accounts/${l.account}`}>{`${l.account_name} (${l.account_number})`}</Link> },
    { label: t('reconcile.number'), cell: (l: CardLine) => l.invoice_number ?? t('pay.ahead') },
    { label: t('pay.card'), cell: (l: CardLine) => (l.brand ? cardWords(l.brand, l.last4 ?? '') : '—') },
    { label: t('reconcile.amount'), cell: (l: CardLine) => format.money(l.amount, l.currency) },
    { label: t('cpay.fee'), cell: (l: CardLine) => (l.fee === null ? t('cpay.fee_unknown') : format.money(l.fee, l.currency)) },
  ];
  return (
    <>
      <h1>{t('nav.card_reports')}</h1>
      {action.error !== null && <ProblemNote error={action.error} />}
      <form
        class="sc-card sc-actions"
        onSubmit={(e) => {
          e.preventDefault();
          action.run(async () => {
            const [lines, days, failed] = await Promise.all([
              api.get<{ items: CardLine[] }>(`/v1/console/reports/card-lines?${query}`),
              api.get<{ items: CardDay[] }>(`/v1/console/reports/card-payments-by-day?${query}`),
              api.get<{ items: CardLine[] }>(`/v1/console/reports/failed-card-payments?${query}`),
            ]);
            setShown({ lines: lines.items, days: days.items, failed: failed.items });
          });
        }}
      >
        <Field label={t('reports.from')} name="card-from" type="date" value={period.from} onInput={(v) => setPeriod({ ...period, from: v })} required />
        <Field label={t('reports.to')} name="card-to" type="date" value={period.to} onInput={(v) => setPeriod({ ...period, to: v })} required />
        <button type="submit" class="sc-button" disabled={action.busy}>
          {t('reports.show')}
        </button>
      </form>
      {shown && (
        <>
          <section aria-labelledby="card-lines-heading">
            <h2 id="card-lines-heading">{t('cpay.lines')}</h2>
            <Table rows={shown.lines} rowKey={(l) => l.payment} empty={t('cpay.no_lines')} columns={[...lineColumns, { label: t('pay.status'), cell: (l) => statusWords(l.status) + (Number(l.refunded) > 0 ? ` · ${t('pay.refunded', { amount: format.money(l.refunded, l.currency) })}` : '') }]} />
            <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => download('card-lines')}>
              {t('usage.download')}
            </button>
          </section>
          <section aria-labelledby="card-days-heading">
            <h2 id="card-days-heading">{t('cpay.by_day')}</h2>
            <Table
              rows={shown.days}
              rowKey={(d) => `${d.day}-${d.currency}`}
              empty={t('cpay.no_lines')}
              columns={[
                { label: t('cpay.day'), cell: (d) => format.day(d.day) },
                { label: t('cpay.succeeded'), cell: (d) => format.count(d.succeeded) },
                { label: t('cpay.failed'), cell: (d) => format.count(d.failed) },
                { label: t('cpay.taken'), cell: (d) => format.money(d.taken, d.currency) },
                { label: t('cpay.refunds'), cell: (d) => format.money(d.refunded, d.currency) },
                { label: t('cpay.fees'), cell: (d) => format.money(d.fees, d.currency) + (d.fees_unknown > 0 ? ` ${t('cpay.fees_unknown', { count: d.fees_unknown })}` : '') },
                { label: t('cpay.net'), cell: (d) => format.money(d.net, d.currency) },
              ]}
            />
            <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => download('card-payments-by-day')}>
              {t('usage.download')}
            </button>
          </section>
          <section aria-labelledby="card-failed-heading">
            <h2 id="card-failed-heading">{t('cpay.failed_title')}</h2>
            <Table
              rows={shown.failed}
              rowKey={(l) => l.payment}
              empty={t('cpay.no_failures')}
              columns={[
                ...lineColumns.slice(0, 5),
                { label: t('cpay.reason'), cell: (l) => l.failure ?? '—' },
                { label: t('cpay.tries'), cell: (l) => format.count(l.attempts) + (l.next_retry_on ? ` · ${t('pay.next_retry', { date: format.day(l.next_retry_on) })}` : '') },
              ]}
            />
            <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => download('failed-card-payments')}>
              {t('usage.download')}
            </button>
          </section>
        </>
      )}
    </>
  );
}
