// Manual account reconciliation: an account's invoices and payments side by side; a
// payment's money moved between invoices; what an invoice still owes written off.
import { useState } from 'preact/hooks';
import { Api } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { InvoiceStatus, type InvoiceSummary } from '../shared/invoice';
import { Field, Link, Loaded, ProblemNote, Table, fieldError, useAction, useLoad } from '../shared/ui';
import { minorUnits } from './billing';

interface ReconciledInvoice {
  id: string;
  number: string;
  issued_on: string;
  due_on: string;
  status: InvoiceSummary['status'];
  amount_due: string;
  paid: string;
  credited: string;
  written_off: string;
  outstanding: string;
}

interface ReconciledPayment {
  id: string;
  reference: string;
  received_on: string;
  amount: string;
  allocations: { invoice: string; number: string; amount: string }[];
  credit_used: { invoice: string; number: string; amount: string }[];
  unallocated: string;
}

interface Reconciliation {
  currency: string;
  invoices: ReconciledInvoice[];
  payments: ReconciledPayment[];
  unallocated: string;
  balance: string;
}

export function ReconciliationPage({ api, account, mayBill }: { api: Api; account: string; mayBill: boolean }) {
  const path = `/v1/console/accounts/${account}/reconciliation`;
  const load = useLoad(() => api.get<Reconciliation>(path), [path]);
  // The answer of the last change: the whole picture after it.
  const [changed, setChanged] = useState<Reconciliation | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [paying, setPaying] = useState<ReconciledPayment | null>(null);
  const [writing, setWriting] = useState<ReconciledInvoice | null>(null);
  return (
    <>
      <p>
        <Link href={`/console/accounts/${account}`}>{t('app.back')}</Link>
      </p>
      <h1>{t('reconcile.title')}</h1>
      <p>{t('reconcile.intro')}</p>
      {notice && (
        <p class="sc-notice" role="status">
          {notice}
        </p>
      )}
      <Loaded load={load}>
        {(loaded) => {
          const r = changed ?? loaded;
          const money = (amount: string) => format.money(amount, r.currency);
          const done = (next: Reconciliation, message: string) => {
            setChanged(next);
            setNotice(message);
            setPaying(null);
            setWriting(null);
          };
          return (
            <>
              <p class="sc-figure">{t('reconcile.balance', { amount: money(r.balance), unallocated: money(r.unallocated) })}</p>
              <h2>{t('reconcile.invoices')}</h2>
              <Table
                rows={r.invoices}
                rowKey={(i) => i.id}
                empty={t('reconcile.no_invoices')}
                columns={[
                  { label: t('reconcile.number'), cell: (i) => <Link href={`/console/accounts/${account}/invoices/${i.id}`}>{i.number}</Link> },
                  { label: t('reconcile.due'), cell: (i) => format.day(i.due_on) },
                  { label: t('invoice.status'), cell: (i) => <InvoiceStatus status={i.status} /> },
                  { label: t('reconcile.amount_due'), cell: (i) => money(i.amount_due) },
                  { label: t('reconcile.paid'), cell: (i) => money(i.paid) },
                  { label: t('reconcile.credited'), cell: (i) => money(i.credited) },
                  { label: t('reconcile.written_off'), cell: (i) => money(i.written_off) },
                  { label: t('reconcile.outstanding'), cell: (i) => money(i.outstanding) },
                  ...(mayBill
                    ? [
                        {
                          label: '',
                          cell: (i: ReconciledInvoice) =>
                            Number(i.outstanding) > 0 && (
                              <button type="button" class="sc-button sc-button-quiet" onClick={() => setWriting(i)}>
                                {t('reconcile.write_off', { number: i.number })}
                              </button>
                            ),
                        },
                      ]
                    : []),
                ]}
              />
              {writing && <WriteOffForm api={api} account={account} invoice={writing} money={money} onDone={done} />}
              <h2>{t('reconcile.payments')}</h2>
              <Table
                rows={r.payments}
                rowKey={(p) => p.id}
                empty={t('reconcile.no_payments')}
                columns={[
                  { label: t('reconcile.reference'), cell: (p) => p.reference },
                  { label: t('reconcile.received'), cell: (p) => format.day(p.received_on) },
                  { label: t('reconcile.amount'), cell: (p) => money(p.amount) },
                  { label: t('reconcile.settles'), cell: (p) => p.allocations.map((a) => `${a.number}: ${money(a.amount)}`).join(', ') },
                  { label: t('reconcile.credit_used'), cell: (p) => p.credit_used.map((a) => `${a.number}: ${money(a.amount)}`).join(', ') },
                  { label: t('reconcile.unallocated'), cell: (p) => money(p.unallocated) },
                  ...(mayBill
                    ? [
                        {
                          label: '',
                          cell: (p: ReconciledPayment) => (
                            <button type="button" class="sc-button sc-button-quiet" onClick={() => setPaying(p)}>
                              {t('reconcile.reallocate', { reference: p.reference })}
                            </button>
                          ),
                        },
                      ]
                    : []),
                ]}
              />
              {paying && <ReallocateForm key={paying.id} api={api} account={account} payment={paying} invoices={r.invoices} money={money} onDone={done} />}
            </>
          );
        }}
      </Loaded>
    </>
  );
}

/// One amount per invoice: what the payment gives it. Blank gives it nothing.
function ReallocateForm({
  api,
  account,
  payment,
  invoices,
  money,
  onDone,
}: {
  api: Api;
  account: string;
  payment: ReconciledPayment;
  invoices: ReconciledInvoice[];
  money: (amount: string) => string;
  onDone: (next: Reconciliation, message: string) => void;
}) {
  const part = (id: string) => payment.allocations.find((a) => a.invoice === id)?.amount ?? '';
  // Only the invoices it settles or that still owe something can take a part.
  const choices = invoices.filter((i) => part(i.id) !== '' || Number(i.outstanding) > 0).reverse();
  const [parts, setParts] = useState<Record<string, string>>(Object.fromEntries(choices.map((i) => [i.id, part(i.id)])));
  const action = useAction();
  const wanted = choices.filter((i) => (parts[i.id] ?? '').trim() !== '');
  return (
    <form
      class="sc-card"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          const next = await api.put<Reconciliation>(`/v1/console/accounts/${account}/payments/${payment.id}/allocations`, {
            allocations: wanted.map((i) => ({ invoice: i.id, amount_minor: minorUnits(parts[i.id]) })),
          });
          onDone(next, t('reconcile.saved', { reference: payment.reference }));
        });
      }}
    >
      <h2>{t('reconcile.reallocate_title', { reference: payment.reference, amount: money(payment.amount) })}</h2>
      {choices.map((i) => {
        const n = wanted.findIndex((w) => w.id === i.id);
        const room = (Number(i.outstanding) + Number(part(i.id) || 0)).toFixed(2);
        return (
          <Field
            key={i.id}
            label={t('reconcile.part_for', { number: i.number })}
            name={`part-${i.number}`}
            inputmode="decimal"
            value={parts[i.id] ?? ''}
            onInput={(v) => setParts({ ...parts, [i.id]: v })}
            hint={t('reconcile.room', { amount: money(room) })}
            error={n >= 0 ? fieldError(action.error, `/allocations/${n}/amount_minor`) || fieldError(action.error, `/allocations/${n}/invoice`) : undefined}
          />
        );
      })}
      {action.error !== null && <ProblemNote error={action.error} />}
      <button type="submit" class="sc-button" disabled={action.busy}>
        {t('reconcile.save')}
      </button>
    </form>
  );
}

function WriteOffForm({
  api,
  account,
  invoice,
  money,
  onDone,
}: {
  api: Api;
  account: string;
  invoice: ReconciledInvoice;
  money: (amount: string) => string;
  onDone: (next: Reconciliation, message: string) => void;
}) {
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <form
      class="sc-card"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          const next = await api.post<Reconciliation>(`/v1/console/accounts/${account}/invoices/${invoice.id}/write-off`, { reason });
          onDone(next, t('reconcile.written', { number: invoice.number, amount: money(invoice.outstanding) }));
        });
      }}
    >
      <h2>{t('reconcile.write_off_title', { number: invoice.number, amount: money(invoice.outstanding) })}</h2>
      <Field label={t('reconcile.write_off_reason')} name="write-off-reason" value={reason} onInput={setReason} error={fieldError(action.error, '/reason')} required />
      {action.error !== null && <ProblemNote error={action.error} />}
      <button type="submit" class="sc-button" disabled={action.busy}>
        {t('reconcile.write_off_confirm')}
      </button>
    </form>
  );
}
