// Billing in the console: the provider's billing settings; on an account's page its
// invoices, its ledger, the next invoice previewed, "bill now" and a payment received by
// bank transfer, cheque or cash.
import { useEffect, useState } from 'preact/hooks';
import { Api, idempotencyKey } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { InvoiceList, InvoicePage, LedgerTable, type Invoice } from '../shared/invoice';
import { Field, Link, Loaded, Loading, ProblemNote, Table, fieldError, useAction, useLoad } from '../shared/ui';

interface BillingSettings {
  currency: string;
  bill_day: { rule: 'fixed'; day: number } | { rule: 'anniversary' };
  payment_terms_days: number;
  invoice_prefix: string;
  tax: { name: string; rate_basis_points: number; prices_include_tax: boolean };
  legal_name: string;
  tax_number: string;
  address: string[];
  reminder_days: number[];
  paper: 'a4' | 'letter';
  retention_years: number;
}

const CURRENCIES = ['AUD', 'USD', 'EUR', 'GBP', 'NZD', 'CAD'];

export function BillingSettingsPage({ api }: { api: Api }) {
  const [form, setForm] = useState<BillingSettings | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  // What staff type, kept as typed ("12." on the way to "12.5", an empty second line).
  const [rate, setRate] = useState('');
  const [address, setAddress] = useState('');
  const [reminders, setReminders] = useState('');
  const action = useAction();
  const loaded = (settings: BillingSettings) => {
    setForm(settings);
    setRate(String(settings.tax.rate_basis_points / 100));
    setAddress(settings.address.join('\n'));
    setReminders(settings.reminder_days.join(', '));
  };
  useEffect(() => {
    api.get<BillingSettings>('/v1/console/settings/billing').then(loaded, setLoadError);
  }, []);
  if (loadError) return <ProblemNote error={loadError} />;
  if (!form) return <Loading />;
  const set = (change: Partial<BillingSettings>) => {
    setSaved(false);
    setForm({ ...form, ...change });
  };
  const day = form.bill_day.rule === 'fixed' ? form.bill_day.day : 1;
  const save = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const basisPoints = Math.round(Number(rate.replace(',', '.')) * 100);
      const body = {
        ...form,
        tax: { ...form.tax, rate_basis_points: Number.isFinite(basisPoints) ? basisPoints : -1 },
        address: address.split('\n').map((l) => l.trim()).filter((l) => l),
        reminder_days: reminders
          .split(/[,\s]+/)
          .filter((d) => d)
          .map((d) => (/^\d+$/.test(d) ? Number(d) : 0)),
      };
      loaded(await api.put<BillingSettings>('/v1/console/settings/billing', body));
      setSaved(true);
    });
  };
  return (
    <form onSubmit={save}>
      <h1>{t('nav.billing_settings')}</h1>
      <div class="sc-card">
        <div class="sc-field">
          <label for="field-currency">{t('billing.currency')}</label>
          <select id="field-currency" value={form.currency} onChange={(e) => set({ currency: (e.currentTarget as HTMLSelectElement).value })}>
            {CURRENCIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <div class="sc-field">
          <label for="field-bill-rule">{t('billing.bill_day_rule')}</label>
          <select
            id="field-bill-rule"
            value={form.bill_day.rule}
            onChange={(e) => set({ bill_day: (e.currentTarget as HTMLSelectElement).value === 'anniversary' ? { rule: 'anniversary' } : { rule: 'fixed', day } })}
          >
            <option value="fixed">{t('billing.fixed_day')}</option>
            <option value="anniversary">{t('billing.anniversary')}</option>
          </select>
        </div>
        {form.bill_day.rule === 'fixed' && (
          <Field
            label={t('billing.day')}
            name="bill-day"
            inputmode="numeric"
            value={String(day)}
            onInput={(v) => set({ bill_day: { rule: 'fixed', day: Number(v) || 0 } })}
            error={fieldError(action.error, '/bill_day/day')}
          />
        )}
        <Field
          label={t('billing.terms')}
          name="terms"
          inputmode="numeric"
          value={String(form.payment_terms_days)}
          onInput={(v) => set({ payment_terms_days: Number(v) || 0 })}
          error={fieldError(action.error, '/payment_terms_days')}
        />
        <Field label={t('billing.prefix')} name="prefix" value={form.invoice_prefix} onInput={(v) => set({ invoice_prefix: v })} error={fieldError(action.error, '/invoice_prefix')} />
        <Field
          label={t('billing.reminders')}
          name="reminders"
          value={reminders}
          onInput={(v) => {
            setSaved(false);
            setReminders(v);
          }}
          hint={t('billing.reminders_hint')}
          error={fieldError(action.error, '/reminder_days')}
        />
      </div>
      <fieldset class="sc-card">
        <legend>{t('billing.tax')}</legend>
        <Field label={t('billing.tax_name')} name="tax-name" value={form.tax.name} onInput={(v) => set({ tax: { ...form.tax, name: v } })} error={fieldError(action.error, '/tax/name')} />
        <Field
          label={t('billing.tax_rate')}
          name="tax-rate"
          inputmode="decimal"
          value={rate}
          onInput={(v) => {
            setSaved(false);
            setRate(v);
          }}
          error={fieldError(action.error, '/tax/rate_basis_points')}
        />
        <label>
          <input
            type="checkbox"
            name="tax-inclusive"
            checked={form.tax.prices_include_tax}
            onChange={(e) => set({ tax: { ...form.tax, prices_include_tax: (e.currentTarget as HTMLInputElement).checked } })}
          />{' '}
          {t('billing.tax_inclusive')}
        </label>
      </fieldset>
      <fieldset class="sc-card">
        <legend>{t('billing.printed')}</legend>
        <Field label={t('billing.legal_name')} name="legal-name" value={form.legal_name} onInput={(v) => set({ legal_name: v })} error={fieldError(action.error, '/legal_name')} />
        <Field label={t('billing.tax_number')} name="tax-number" value={form.tax_number} onInput={(v) => set({ tax_number: v })} error={fieldError(action.error, '/tax_number')} />
        <div class="sc-field">
          <label for="field-address">{t('billing.address')}</label>
          <textarea
            id="field-address"
            value={address}
            onInput={(e) => {
              setSaved(false);
              setAddress((e.currentTarget as HTMLTextAreaElement).value);
            }}
          />
          {fieldError(action.error, '/address') && <p class="sc-field-error">{fieldError(action.error, '/address')}</p>}
        </div>
        <div class="sc-field">
          <label for="field-paper">{t('billing.paper')}</label>
          <select id="field-paper" value={form.paper} onChange={(e) => set({ paper: (e.currentTarget as HTMLSelectElement).value as BillingSettings['paper'] })}>
            <option value="a4">A4</option>
            <option value="letter">Letter</option>
          </select>
        </div>
        <div class="sc-field">
          <label for="field-retention">{t('billing.retention')}</label>
          <select id="field-retention" aria-describedby="field-retention-hint" value={String(form.retention_years)} onChange={(e) => set({ retention_years: Number((e.currentTarget as HTMLSelectElement).value) })}>
            {[1, 2, 5, 7, 10].map((years) => (
              <option key={years} value={String(years)}>
                {years === 1 ? t('billing.one_year') : t('billing.years', { count: years })}
              </option>
            ))}
          </select>
          <p id="field-retention-hint" class="sc-hint">
            {t('billing.retention_hint')}
          </p>
        </div>
      </fieldset>
      {action.error !== null && <ProblemNote error={action.error} />}
      {saved && (
        <p class="sc-notice" role="status">
          {t('billing.saved')}
        </p>
      )}
      <button type="submit" class="sc-button" disabled={action.busy}>
        {t('app.save')}
      </button>
    </form>
  );
}

interface Draft {
  period_start: string;
  period_end: string;
  currency: string;
  lines: Invoice['lines'];
  total: string;
  credit_applied: string;
  amount_due: string;
}

/// "1,234.56", "1 234,56", "12.5" as cents; -1 (refused by the API, field by field) when it
/// is not an amount or has more than two decimals.
export function minorUnits(typed: string): number {
  let text = typed.replace(/[\s$€£]/g, '');
  const decimalComma = /,\d{1,2}$/.test(text) && !text.includes('.');
  text = decimalComma ? text.replace(/\./g, '').replace(',', '.') : text.replace(/,/g, '');
  if (!/^\d+(\.\d{1,2})?$/.test(text)) return -1;
  return Math.round(Number(text) * 100);
}

/// An account's bills, on its page in the console.
export function AccountBilling({ api, id, mayBill }: { api: Api; id: string; mayBill: boolean }) {
  const [draft, setDraft] = useState<Draft | null>(null);
  const [issued, setIssued] = useState<Invoice | null>(null);
  const [round, setRound] = useState(0);
  const [payment, setPayment] = useState({ method: 'bank_transfer', amount: '', received_on: '', reference: '' });
  const [paid, setPaid] = useState<string | null>(null);
  const action = useAction();
  const base = `/v1/console/accounts/${id}`;
  return (
    <section aria-labelledby="billing-heading">
      <h2 id="billing-heading">{t('nav.invoices')}</h2>
      {action.error !== null && <ProblemNote error={action.error} />}
      {mayBill && (
        <p class="sc-actions">
          <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => action.run(async () => setDraft(await api.get<Draft>(`${base}/invoice-preview`)))}>
            {t('billing.preview')}
          </button>
          <button
            type="button"
            class="sc-button"
            disabled={action.busy}
            onClick={() =>
              action.run(async () => {
                setIssued(await api.post<Invoice>(`${base}/invoices`));
                setDraft(null);
                setRound(round + 1);
              })
            }
          >
            {t('billing.bill_now')}
          </button>
        </p>
      )}
      {issued && (
        <p class="sc-notice" role="status">
          {t('billing.issued', { number: issued.number, total: format.money(issued.total, issued.currency) })}
        </p>
      )}
      {draft && (
        <div class="sc-card">
          <h3>{t('billing.preview_title', { start: format.day(draft.period_start), end: format.day(draft.period_end) })}</h3>
          <Table
            rows={draft.lines.map((l, n) => ({ ...l, n }))}
            rowKey={(l) => String(l.n)}
            empty={t('billing.nothing_new')}
            columns={[
              { label: t('invoice.line'), cell: (l) => `${l.identifier} · ${l.kind === 'usage' ? t('invoice.usage') : l.description}` },
              { label: t('invoice.period'), cell: (l) => `${format.day(l.period_start)} – ${format.day(l.period_end)}` },
              { label: t('invoice.amount'), cell: (l) => format.money(l.gross, draft.currency) },
            ]}
          />
          <p>
            {t('invoice.total')}: <strong>{format.money(draft.total, draft.currency)}</strong>
            {draft.credit_applied !== '0.00' && <> · {t('invoice.credit_applied')}: {format.money(draft.credit_applied, draft.currency)}</>} · {t('billing.amount_due')}:{' '}
            <strong>{format.money(draft.amount_due, draft.currency)}</strong>
          </p>
        </div>
      )}
      <AccountBillingSettings api={api} id={id} mayBill={mayBill} />
      <InvoiceList key={round} api={api} path={`${base}/invoices`} href={(i) => `/console/accounts/${id}/invoices/${i.id}`} />
      <ChargesWithCurrency api={api} id={id} mayBill={mayBill} round={round} />
      <h3>{t('ledger.title')}</h3>
      <LedgerTable key={round} api={api} path={`${base}/ledger`} />
      <p>
        <Link href={`/console/accounts/${id}/reconciliation`}>{t('reconcile.link')}</Link>
      </p>
      {mayBill && (
        <form
          class="sc-card"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              const amount_minor = minorUnits(payment.amount);
              const recorded = await api.post<{ amount: string; currency: string; unallocated: string; already_recorded: boolean }>(`${base}/payments`, {
                method: payment.method,
                amount_minor,
                received_on: payment.received_on,
                reference: payment.reference,
              });
              const amount = format.money(recorded.amount, recorded.currency);
              setPaid(t(recorded.already_recorded ? 'billing.payment_known' : 'billing.payment_recorded', { amount }));
              setPayment({ ...payment, amount: '', reference: '' });
              setRound(round + 1);
            });
          }}
        >
          <h3>{t('billing.record_payment')}</h3>
          <div class="sc-field">
            <label for="field-payment-method">{t('billing.method')}</label>
            <select id="field-payment-method" value={payment.method} onChange={(e) => setPayment({ ...payment, method: (e.currentTarget as HTMLSelectElement).value })}>
              <option value="bank_transfer">{t('billing.bank_transfer')}</option>
              <option value="cheque">{t('billing.cheque')}</option>
              <option value="cash">{t('billing.cash')}</option>
            </select>
          </div>
          <Field label={t('billing.amount')} name="payment-amount" inputmode="decimal" value={payment.amount} onInput={(v) => setPayment({ ...payment, amount: v })} error={fieldError(action.error, '/amount_minor')} required />
          <Field label={t('billing.received_on')} name="payment-date" type="date" value={payment.received_on} onInput={(v) => setPayment({ ...payment, received_on: v })} error={fieldError(action.error, '/received_on')} required />
          <Field label={t('billing.reference')} name="payment-reference" value={payment.reference} onInput={(v) => setPayment({ ...payment, reference: v })} error={fieldError(action.error, '/reference')} required />
          {paid && (
            <p class="sc-notice" role="status">
              {paid}
            </p>
          )}
          <button type="submit" class="sc-button" disabled={action.busy}>
            {t('billing.record')}
          </button>
        </form>
      )}
    </section>
  );
}

export function ConsoleInvoice({ api, account, id, mayBill }: { api: Api; account: string; id: string; mayBill: boolean }) {
  return (
    <>
      <p>
        <Link href={`/console/accounts/${account}`}>{t('app.back')}</Link>
      </p>
      <InvoicePage
        api={api}
        path={`/v1/console/accounts/${account}/invoices/${id}`}
        after={(invoice, reload) => mayBill && <CreditNoteForm api={api} account={account} invoice={invoice} onIssued={reload} />}
      />
    </>
  );
}

/// A credit note against the invoice: an amount and why.
function CreditNoteForm({ api, account, invoice, onIssued }: { api: Api; account: string; invoice: Invoice; onIssued: () => void }) {
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [issued, setIssued] = useState<string | null>(null);
  // One key per note being written: a retry after a lost answer issues it once.
  const [key, setKey] = useState(idempotencyKey());
  const action = useAction();
  return (
    <form
      class="sc-card"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          const note = await api.post<{ number: string; amount: string }>(
            `/v1/console/accounts/${account}/invoices/${invoice.id}/credit-notes`,
            { amount_minor: minorUnits(amount), reason },
            { 'idempotency-key': key },
          );
          setKey(idempotencyKey());
          setIssued(t('billing.credit_note_issued', { number: note.number, amount: format.money(note.amount, invoice.currency) }));
          setAmount('');
          setReason('');
          onIssued();
        });
      }}
    >
      <h2>{t('billing.credit_note')}</h2>
      <Field label={t('billing.amount')} name="credit-amount" inputmode="decimal" value={amount} onInput={setAmount} error={fieldError(action.error, '/amount_minor')} required />
      <Field label={t('billing.why')} name="credit-reason" value={reason} onInput={setReason} error={fieldError(action.error, '/reason')} required />
      {issued && (
        <p class="sc-notice" role="status">
          {issued}
        </p>
      )}
      {action.error !== null && <ProblemNote error={action.error} />}
      <button type="submit" class="sc-button" disabled={action.busy}>
        {t('billing.issue_credit_note')}
      </button>
    </form>
  );
}

interface Charge {
  id: string;
  description: string;
  amount: string;
  reason: string;
  state: 'pending' | 'invoiced';
  added_on: string;
  added_by: string;
}

type GrantedReport = 'spend-by-cost-centre' | 'spend-by-service' | 'calls-by-invoice';
export const GRANTABLE_REPORTS: GrantedReport[] = ['spend-by-cost-centre', 'spend-by-service', 'calls-by-invoice'];

interface AccountBilling {
  bill_day: number | null;
  tax_exempt: boolean;
  tax_exempt_reason: string;
  portal_only: boolean;
  granted_reports: GrantedReport[];
  contacts: string[];
}

/// The account's own bill day and tax exemption.
function AccountBillingSettings({ api, id, mayBill }: { api: Api; id: string; mayBill: boolean }) {
  const path = `/v1/console/accounts/${id}/billing-settings`;
  const [form, setForm] = useState<{ day: string; exempt: boolean; reason: string; portalOnly: boolean; reports: GrantedReport[]; contacts: string[] } | null>(null);
  // The account's logins, any of which may get its billing mail.
  const access = useLoad(() => api.get<{ logins: { id: string; username: string; email: string }[] }>(`/v1/console/accounts/${id}/portal-access`), [id]);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  useEffect(() => {
    api.get<AccountBilling>(path).then((s) => setForm({ day: s.bill_day ? String(s.bill_day) : '', exempt: s.tax_exempt, reason: s.tax_exempt_reason, portalOnly: s.portal_only, reports: s.granted_reports, contacts: s.contacts }));
  }, [path]);
  if (!form) return null;
  return (
    <form
      class="sc-card"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          await api.put(path, {
            bill_day: form.day.trim() ? (/^\d+$/.test(form.day.trim()) ? Number(form.day) : 0) : null,
            tax_exempt: form.exempt,
            tax_exempt_reason: form.reason,
            portal_only: form.portalOnly,
            granted_reports: form.reports,
            contacts: form.contacts,
          });
          setSaved(true);
        });
      }}
    >
      <h3>{t('billing.account_settings')}</h3>
      <Field
        label={t('billing.own_bill_day')}
        name="own-bill-day"
        inputmode="numeric"
        value={form.day}
        onInput={(v) => {
          setSaved(false);
          setForm({ ...form, day: v });
        }}
        hint={t('billing.own_bill_day_hint')}
        error={fieldError(action.error, '/bill_day')}
      />
      <label>
        <input type="checkbox" name="tax-exempt" checked={form.exempt} disabled={!mayBill} onChange={(e) => setForm({ ...form, exempt: (e.currentTarget as HTMLInputElement).checked })} /> {t('billing.tax_exempt')}
      </label>
      <label>
        <input type="checkbox" name="portal-only" checked={form.portalOnly} disabled={!mayBill} onChange={(e) => setForm({ ...form, portalOnly: (e.currentTarget as HTMLInputElement).checked })} /> {t('billing.portal_only')}
      </label>
      {access.value && access.value.logins.length > 0 && (
        <fieldset aria-describedby="contacts-hint">
          <legend>{t('billing.contacts')}</legend>
          <p id="contacts-hint" class="sc-hint">
            {t('billing.contacts_hint')}
          </p>
          {access.value.logins.map((login) => (
            <label key={login.id}>
              <input
                type="checkbox"
                name={`contact-${login.username}`}
                checked={form.contacts.includes(login.id)}
                disabled={!mayBill}
                onChange={(e) => {
                  setSaved(false);
                  const on = (e.currentTarget as HTMLInputElement).checked;
                  setForm({ ...form, contacts: on ? [...form.contacts, login.id] : form.contacts.filter((c) => c !== login.id) });
                }}
              />{' '}
              {login.username} ({login.email})
            </label>
          ))}
          {fieldError(action.error, '/contacts') && <p class="sc-field-error">{fieldError(action.error, '/contacts')}</p>}
        </fieldset>
      )}
      <fieldset>
        <legend>{t('billing.granted_reports')}</legend>
        {GRANTABLE_REPORTS.map((report) => (
          <label key={report}>
            <input
              type="checkbox"
              name={`report-${report}`}
              checked={form.reports.includes(report)}
              disabled={!mayBill}
              onChange={(e) => {
                setSaved(false);
                const on = (e.currentTarget as HTMLInputElement).checked;
                setForm({ ...form, reports: on ? [...form.reports, report] : form.reports.filter((r) => r !== report) });
              }}
            />{' '}
            {t(`report.${report}`)}
          </label>
        ))}
      </fieldset>
      {form.exempt && (
        <Field label={t('billing.why')} name="tax-exempt-reason" value={form.reason} onInput={(v) => setForm({ ...form, reason: v })} error={fieldError(action.error, '/tax_exempt_reason')} required />
      )}
      {saved && (
        <p class="sc-notice" role="status">
          {t('billing.account_settings_saved')}
        </p>
      )}
      {action.error !== null && <ProblemNote error={action.error} />}
      {mayBill && (
        <button type="submit" class="sc-button sc-button-quiet" disabled={action.busy}>
          {t('billing.save_account')}
        </button>
      )}
    </form>
  );
}

function ChargesWithCurrency({ api, id, mayBill, round }: { api: Api; id: string; mayBill: boolean; round: number }) {
  const ledger = useLoad(() => api.get<{ currency: string }>(`/v1/console/accounts/${id}/ledger?limit=1`), [id]);
  return <Loaded load={ledger}>{(l) => <Charges key={round} api={api} id={id} mayBill={mayBill} currency={l.currency} />}</Loaded>;
}

/// One-off charges and credits waiting for the account's next invoice, and those taken.
function Charges({ api, id, mayBill, currency }: { api: Api; id: string; mayBill: boolean; currency: string }) {
  const [round, setRound] = useState(0);
  const list = useLoad(() => api.get<Charge[]>(`/v1/console/accounts/${id}/charges`), [id, round]);
  const [form, setForm] = useState({ description: '', amount: '', reason: '', credit: false });
  // One key per charge being entered: a retry after a lost answer adds it once.
  const [chargeKey, setChargeKey] = useState(idempotencyKey());
  const action = useAction();
  return (
    <section aria-labelledby="charges-heading">
      <h3 id="charges-heading">{t('billing.charges')}</h3>
      {action.error !== null && <ProblemNote error={action.error} />}
      <Loaded load={list}>
        {(charges) => (
          <Table
            rows={charges}
            rowKey={(c) => c.id}
            empty={t('billing.no_charges')}
            columns={[
              { label: t('ledger.date'), cell: (c) => format.day(c.added_on) },
              { label: t('billing.description'), cell: (c) => c.description },
              { label: t('invoice.amount'), cell: (c) => format.money(c.amount, currency) },
              { label: t('billing.why'), cell: (c) => c.reason },
              {
                label: t('invoice.status'),
                cell: (c) =>
                  c.state === 'invoiced' ? (
                    t('billing.charge_invoiced')
                  ) : mayBill ? (
                    <button
                      type="button"
                      class="sc-button sc-button-quiet"
                      disabled={action.busy}
                      onClick={() =>
                        action.run(async () => {
                          await api.request('DELETE', `/v1/console/accounts/${id}/charges/${c.id}`);
                          setRound(round + 1);
                        })
                      }
                    >
                      {t('billing.remove_charge', { description: c.description })}
                    </button>
                  ) : (
                    t('billing.charge_pending')
                  ),
              },
            ]}
          />
        )}
      </Loaded>
      {mayBill && (
        <form
          class="sc-card"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              // Not an amount: 0, which the API refuses on the amount's field.
              const cents = Math.max(minorUnits(form.amount), 0);
              await api.post(
                `/v1/console/accounts/${id}/charges`,
                { description: form.description, amount_minor: form.credit ? -cents : cents, reason: form.reason },
                { 'idempotency-key': chargeKey },
              );
              setChargeKey(idempotencyKey());
              setForm({ description: '', amount: '', reason: '', credit: false });
              setRound(round + 1);
            });
          }}
        >
          <Field label={t('billing.description')} name="charge-description" value={form.description} onInput={(v) => setForm({ ...form, description: v })} error={fieldError(action.error, '/description')} required />
          <Field label={t('billing.charge_amount')} name="charge-amount" inputmode="decimal" value={form.amount} onInput={(v) => setForm({ ...form, amount: v })} error={fieldError(action.error, '/amount_minor')} required />
          <label>
            <input type="checkbox" name="charge-credit" checked={form.credit} onChange={(e) => setForm({ ...form, credit: (e.currentTarget as HTMLInputElement).checked })} /> {t('billing.is_credit')}
          </label>
          <Field label={t('billing.why')} name="charge-reason" value={form.reason} onInput={(v) => setForm({ ...form, reason: v })} error={fieldError(action.error, '/reason')} required />
          <button type="submit" class="sc-button" disabled={action.busy}>
            {t('billing.add_charge')}
          </button>
        </form>
      )}
    </section>
  );
}


interface Run {
  date: string;
  attempt: number;
  batches: number;
  batches_done: number;
  due: number;
  issued: number;
  already: number;
  nothing: number;
  failures: { account: string; reason: string }[];
  finished_at: string;
}

/// Each day's bill run: what it issued, what failed and why; run today's again.
export function BillRuns({ api }: { api: Api }) {
  const [round, setRound] = useState(0);
  const runs = useLoad(() => api.get<Run[]>('/v1/console/billing/runs'), [round]);
  const [ran, setRan] = useState<Run | null>(null);
  const action = useAction();
  return (
    <>
      <h1>{t('nav.bill_runs')}</h1>
      <p>{t('runs.intro')}</p>
      <p class="sc-actions">
        <button
          type="button"
          class="sc-button"
          disabled={action.busy}
          onClick={() =>
            action.run(async () => {
              setRan(await api.post<Run>('/v1/console/billing/runs'));
              setRound(round + 1);
            })
          }
        >
          {t('runs.run_now')}
        </button>
      </p>
      {ran && (
        <p class="sc-notice" role="status">
          {t('runs.ran', { issued: ran.issued })}
        </p>
      )}
      {action.error !== null && <ProblemNote error={action.error} />}
      <Loaded load={runs}>
        {(list) => (
          <Table
            rows={list}
            rowKey={(r) => r.date}
            empty={t('runs.none')}
            columns={[
              { label: t('runs.date'), cell: (r) => format.day(r.date) },
              {
                label: t('runs.progress'),
                cell: (r) => (r.batches_done < r.batches ? t('runs.billing', { done: r.batches_done, of: r.batches }) : r.attempt > 1 ? t('runs.finished_attempt', { attempt: r.attempt }) : t('runs.finished')),
              },
              { label: t('runs.due'), cell: (r) => r.due },
              { label: t('runs.issued'), cell: (r) => r.issued },
              { label: t('runs.already'), cell: (r) => r.already },
              { label: t('runs.nothing'), cell: (r) => r.nothing },
              {
                label: t('runs.failed'),
                cell: (r) =>
                  r.failures.length === 0 ? (
                    '0'
                  ) : (
                    <ul>
                      {r.failures.map((f) => (
                        <li key={f.account}>
                          <Link href={`/console/accounts/${f.account}`}>{f.account}</Link>: {f.reason}
                        </li>
                      ))}
                    </ul>
                  ),
              },
            ]}
          />
        )}
      </Loaded>
    </>
  );
}

interface AgedBalance {
  currency: string;
  account: string;
  account_number: string;
  account_name: string;
  current: string;
  days_1_30: string;
  days_31_60: string;
  days_61_90: string;
  days_over_90: string;
  total: string;
}

interface IssuedDocument {
  kind: 'invoice' | 'credit_note';
  number: string;
  issued_on: string;
  account_number: string;
  account_name: string;
  subtotal: string;
  tax: string;
  total: string;
}

interface PaymentsByInvoice {
  currency: string;
  items: { received_on: string; account_number: string; account_name: string; method: string; reference: string; invoice_number: string; amount: string }[];
  total: string;
}

interface IssuedInPeriod {
  from: string;
  to: string;
  currency: string;
  items: IssuedDocument[];
  subtotal: string;
  tax: string;
  total: string;
}


/// Aged balances, and the invoices and credit notes of a period with their tax.
export function BillingReports({ api }: { api: Api }) {
  const aged = useLoad(() => api.get<AgedBalance[]>('/v1/console/reports/aged-balances'));
  const [period, setPeriod] = useState(format.lastMonth());
  const [issued, setIssued] = useState<IssuedInPeriod | null>(null);
  const [payments, setPayments] = useState<PaymentsByInvoice | null>(null);
  const action = useAction();
  const query = `from=${encodeURIComponent(period.from)}&to=${encodeURIComponent(period.to)}`;
  return (
    <>
      <h1>{t('nav.billing_reports')}</h1>
      {action.error !== null && <ProblemNote error={action.error} />}
      <section aria-labelledby="aged">
        <h2 id="aged">{t('reports.aged')}</h2>
        <Loaded load={aged}>
              {(rows) => (
                <Table
                  rows={rows}
                  rowKey={(r) => r.account}
                  empty={t('reports.nothing_owed')}
                  columns={[
                    { label: t('invoice.account'), cell: (r) => <Link href={`/console/accounts/${r.account}`}>{`${r.account_name} (${r.account_number})`}</Link> },
                    { label: t('reports.current'), cell: (r) => format.money(r.current, r.currency) },
                    { label: t('reports.days_1_30'), cell: (r) => format.money(r.days_1_30, r.currency) },
                    { label: t('reports.days_31_60'), cell: (r) => format.money(r.days_31_60, r.currency) },
                    { label: t('reports.days_61_90'), cell: (r) => format.money(r.days_61_90, r.currency) },
                    { label: t('reports.days_over_90'), cell: (r) => format.money(r.days_over_90, r.currency) },
                    { label: t('invoice.total'), cell: (r) => format.money(r.total, r.currency) },
                  ]}
                />
              )}
        </Loaded>
        <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => action.run(() => api.download('/v1/console/reports/aged-balances?format=csv', 'aged-balances.csv'))}>
          {t('usage.download')}
        </button>
      </section>
      <section aria-labelledby="issued">
        <h2 id="issued">{t('reports.issued')}</h2>
        <form
          class="sc-card sc-actions"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              setIssued(await api.get<IssuedInPeriod>(`/v1/console/reports/invoices?${query}`));
              setPayments(await api.get<PaymentsByInvoice>(`/v1/console/reports/payments?${query}`));
            });
          }}
        >
          <Field label={t('reports.from')} name="report-from" type="date" value={period.from} onInput={(v) => setPeriod({ ...period, from: v })} required />
          <Field label={t('reports.to')} name="report-to" type="date" value={period.to} onInput={(v) => setPeriod({ ...period, to: v })} required />
          <button type="submit" class="sc-button" disabled={action.busy}>
            {t('reports.show')}
          </button>
          <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => action.run(() => api.download(`/v1/console/reports/invoices?${query}&format=csv`, `invoices-${period.from}-to-${period.to}.csv`))}>
            {t('usage.download')}
          </button>
        </form>
        {issued && (
          <>
            <Table
              rows={issued.items}
              rowKey={(d) => d.number}
              empty={t('reports.none_issued')}
              columns={[
                { label: t('invoice.number'), cell: (d) => d.number },
                { label: t('invoice.issued_on'), cell: (d) => format.day(d.issued_on) },
                { label: t('invoice.account'), cell: (d) => (d.kind === 'invoice' ? `${d.account_name} (${d.account_number})` : d.account_name) },
                { label: t('invoice.subtotal'), cell: (d) => format.money(d.subtotal, issued.currency) },
                { label: t('reports.tax'), cell: (d) => format.money(d.tax, issued.currency) },
                { label: t('invoice.total'), cell: (d) => format.money(d.total, issued.currency) },
              ]}
            />
            <p class="sc-card" role="status">
              {t('reports.period_totals', {
                subtotal: format.money(issued.subtotal, issued.currency),
                tax: format.money(issued.tax, issued.currency),
                total: format.money(issued.total, issued.currency),
              })}
            </p>
          </>
        )}
      </section>
      {payments && (
        <section aria-labelledby="payments-report">
          <h2 id="payments-report">{t('reports.payments')}</h2>
          <Table
            rows={payments.items.map((p, n) => ({ ...p, n }))}
            rowKey={(p) => String(p.n)}
            empty={t('reports.no_payments')}
            columns={[
              { label: t('reconcile.received'), cell: (p) => format.day(p.received_on) },
              { label: t('invoice.account'), cell: (p) => `${p.account_name} (${p.account_number})` },
              { label: t('reconcile.reference'), cell: (p) => p.reference },
              { label: t('reconcile.number'), cell: (p) => p.invoice_number || t('reports.not_taken') },
              { label: t('reconcile.amount'), cell: (p) => format.money(p.amount, payments.currency) },
            ]}
          />
          <p class="sc-actions">
            <span>{t('reports.total', { total: format.money(payments.total, payments.currency) })}</span>
            <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => action.run(() => api.download(`/v1/console/reports/payments?${query}&format=csv`, `payments-${period.from}-to-${period.to}.csv`))}>
              {t('usage.download')}
            </button>
          </p>
        </section>
      )}
    </>
  );
}
