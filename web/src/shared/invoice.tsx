// An invoice as both sites show it: its dates, its lines grouped by service (and the cost
// centre the service was under), its totals; and the paged lists of invoices and of the
// ledger. Money is shown in the invoice's currency in the login's language.
import { useState } from 'preact/hooks';
import { Api, PageOf } from './api';
import * as format from './format';
import { t } from './i18n';
import { Link, Loaded, MoreButton, PagedTable, ProblemNote, Table, useAction, useLoad, usePaged } from './ui';

export interface InvoiceSummary {
  id: string;
  number: string;
  status: 'issued' | 'partly_paid' | 'paid' | 'overdue' | 'written_off';
  period_start: string;
  period_end: string;
  issued_on: string;
  due_on: string;
  currency: string;
  total: string;
  outstanding: string;
}

export interface InvoiceLine {
  kind: 'plan' | 'bolt_on' | 'usage' | 'one_off';
  description: string;
  service: string;
  identifier: string;
  identifier_shown: string;
  cost_centre?: string | null;
  period_start: string;
  period_end: string;
  quantity: number;
  net: string;
  tax: string;
  gross: string;
}

export interface Invoice extends InvoiceSummary {
  account_name: string;
  account_number: string;
  tax_name: string;
  lines: InvoiceLine[];
  subtotal: string;
  tax: string;
  credit_applied: string;
  amount_due: string;
  paid: string;
  credited: string;
  credit_notes: CreditNote[];
}

export interface CreditNote {
  id: string;
  number: string;
  invoice_number: string;
  amount: string;
  tax: string;
  reason: string;
  issued_on: string;
}

/// Links to an invoice's stored files (good for a quarter of an hour).
interface InvoiceFiles {
  pdf: { name: string; url: string };
  usage_csv?: { name: string; url: string } | null;
  credit_notes: { name: string; url: string }[];
}

export interface LedgerEntry {
  sequence: number;
  kind: 'invoice' | 'payment' | 'credit_note' | 'write_off';
  date: string;
  reference: string;
  description: string;
  amount: string;
  balance: string;
  invoice?: string | null;
}

export interface Ledger {
  currency: string;
  balance: string;
  next_bill_on: string;
  items: LedgerEntry[];
  next_cursor?: string | null;
}

export function InvoiceStatus({ status }: { status: InvoiceSummary['status'] }) {
  return <span class={`sc-state sc-state-${status === 'overdue' ? 'rejected' : status === 'paid' || status === 'written_off' ? 'completed' : 'pending'}`}>{t(`invoice.status.${status}` as 'invoice.status.paid')}</span>;
}

function period(start: string, end: string): string {
  return `${format.day(start)} – ${format.day(end)}`;
}

/// The account's invoices, newest first; each links to `href(invoice)`.
export function InvoiceList({ api, path, href }: { api: Api; path: string; href: (i: InvoiceSummary) => string }) {
  const paged = usePaged<InvoiceSummary>(api, path);
  return (
    <PagedTable
      paged={paged}
      rowKey={(i) => i.id}
      empty={t('invoice.none')}
      columns={[
        { label: t('invoice.number'), cell: (i) => <Link href={href(i)}>{i.number}</Link> },
        { label: t('invoice.issued_on'), cell: (i) => format.day(i.issued_on), sort: (i) => i.issued_on },
        { label: t('invoice.period'), cell: (i) => period(i.period_start, i.period_end) },
        { label: t('invoice.total'), cell: (i) => format.money(i.total, i.currency), sort: (i) => Number(i.total) },
        { label: t('invoice.due_on'), cell: (i) => format.day(i.due_on), sort: (i) => i.due_on },
        { label: t('invoice.outstanding'), cell: (i) => format.money(i.outstanding, i.currency) },
        { label: t('invoice.status'), cell: (i) => <InvoiceStatus status={i.status} /> },
      ]}
    />
  );
}

/// An invoice's lines by service, then its totals.
export function InvoiceDetail({ invoice }: { invoice: Invoice }) {
  const money = (amount: string) => format.money(amount, invoice.currency);
  // By service (its id: a number reused by another service is another service).
  const services = new Map<string, (InvoiceLine & { n: number })[]>();
  invoice.lines.forEach((line, n) => services.set(line.service, [...(services.get(line.service) ?? []), { ...line, n }]));
  return (
    <>
      <h1>
        {t('invoice.title', { number: invoice.number })} <InvoiceStatus status={invoice.status} />
      </h1>
      <dl class="sc-card sc-facts">
        <dt>{t('invoice.account')}</dt>
        <dd>
          {invoice.account_name} ({invoice.account_number})
        </dd>
        <dt>{t('invoice.issued_on')}</dt>
        <dd>{format.day(invoice.issued_on)}</dd>
        <dt>{t('invoice.period')}</dt>
        <dd>{period(invoice.period_start, invoice.period_end)}</dd>
        <dt>{t('invoice.due_on')}</dt>
        <dd>{format.day(invoice.due_on)}</dd>
      </dl>
      {[...services.entries()].map(([service, lines]) => (
        <section key={service} aria-label={lines[0].identifier_shown || t('invoice.account_charges')}>
          <h2>
            {lines[0].identifier_shown || t('invoice.account_charges')}
            {lines[0].cost_centre && <span class="sc-muted"> · {t('invoice.cost_centre', { name: lines[0].cost_centre })}</span>}
          </h2>
          <Table
            rows={lines}
            rowKey={(l) => String(l.n)}
            empty=""
            columns={[
              { label: t('invoice.line'), cell: (l) => (l.kind === 'usage' ? t('invoice.usage') : l.description) },
              { label: t('invoice.period'), cell: (l) => period(l.period_start, l.period_end) },
              {
                label: t('invoice.quantity'),
                cell: (l) => (l.kind === 'usage' ? t('invoice.records', { count: l.quantity }) : l.kind === 'one_off' ? '' : t('invoice.days', { count: l.quantity })),
              },
              { label: invoice.tax_name, cell: (l) => money(l.tax) },
              { label: t('invoice.amount'), cell: (l) => money(l.gross) },
            ]}
          />
        </section>
      ))}
      <dl class="sc-card sc-facts sc-totals">
        <dt>{t('invoice.subtotal')}</dt>
        <dd>{money(invoice.subtotal)}</dd>
        <dt>{invoice.tax_name}</dt>
        <dd>{money(invoice.tax)}</dd>
        <dt>{t('invoice.total')}</dt>
        <dd>
          <strong>{money(invoice.total)}</strong>
        </dd>
        {invoice.credit_applied !== '0.00' && (
          <>
            <dt>{t('invoice.credit_applied')}</dt>
            <dd>-{money(invoice.credit_applied)}</dd>
          </>
        )}
        <dt>{t('invoice.paid')}</dt>
        <dd>{money(invoice.paid)}</dd>
        {invoice.credited !== '0.00' && (
          <>
            <dt>{t('invoice.credited')}</dt>
            <dd>-{money(invoice.credited)}</dd>
          </>
        )}
        <dt>{t('invoice.outstanding')}</dt>
        <dd>
          <strong>{money(invoice.outstanding)}</strong>
        </dd>
      </dl>
      {invoice.credit_notes.length > 0 && (
        <section aria-labelledby="credit-notes">
          <h2 id="credit-notes">{t('invoice.credit_notes')}</h2>
          <Table
            rows={invoice.credit_notes}
            rowKey={(n) => n.id}
            empty=""
            columns={[
              { label: t('ledger.credit_note'), cell: (n) => n.number },
              { label: t('invoice.issued_on'), cell: (n) => format.day(n.issued_on) },
              { label: t('invoice.reason'), cell: (n) => n.reason },
              { label: t('invoice.amount'), cell: (n) => money(n.amount) },
            ]}
          />
        </section>
      )}
    </>
  );
}

/// One invoice, loaded from `path`, with its files to download; `after` adds what a site
/// offers beneath it.
export function InvoicePage({ api, path, after }: { api: Api; path: string; after?: (invoice: Invoice, reload: () => void) => preact.ComponentChildren }) {
  const invoice = useLoad(() => api.get<Invoice>(path), [path]);
  const action = useAction();
  // The files are kept as issued in the exports bucket; a fresh link is asked for on each
  // click, since links last a quarter of an hour. The bucket answers "save as".
  const save = (pick: (files: InvoiceFiles) => { url: string } | null | undefined) =>
    action.run(async () => {
      const file = pick(await api.get<InvoiceFiles>(`${path}/files`));
      if (file) location.assign(file.url);
    });
  return (
    <Loaded load={invoice}>
      {(i) => (
        <>
          <InvoiceDetail invoice={i} />
          <p class="sc-actions">
            <button type="button" class="sc-button" disabled={action.busy} onClick={() => save((f) => f.pdf)}>
              {t('invoice.download_pdf')}
            </button>
            {i.lines.some((l) => l.kind === 'usage') && (
              <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => save((f) => f.usage_csv)}>
                {t('invoice.download_usage')}
              </button>
            )}
            {i.credit_notes.map((note, n) => (
              <button key={note.id} type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => save((f) => f.credit_notes[n])}>
                {t('invoice.download_credit_note', { number: note.number })}
              </button>
            ))}
          </p>
          {action.error !== null && <ProblemNote error={action.error} />}
          {after?.(i, invoice.reload)}
        </>
      )}
    </Loaded>
  );
}

/// The balance, the next bill date and the latest invoice, for an overview.
export function BillingSummary({ api }: { api: Api }) {
  const ledger = useLoad(() => api.get<Ledger>('/v1/portal/ledger?limit=1'));
  const latest = useLoad(() => api.get<PageOf<InvoiceSummary>>('/v1/portal/invoices?limit=1'));
  return (
    <section class="sc-card" aria-labelledby="billing-summary">
      <h2 id="billing-summary">{t('overview.billing')}</h2>
      <Loaded load={ledger}>
        {(l) => {
          const owed = Number(l.balance);
          return (
            <>
              <p class="sc-figure">{format.money(owed < 0 ? String(-owed) : l.balance, l.currency)}</p>
              <p>{owed < 0 ? t('overview.in_credit') : t('overview.balance')}</p>
              <p>{t('overview.next_bill', { date: format.day(l.next_bill_on) })}</p>
            </>
          );
        }}
      </Loaded>
      <Loaded load={latest}>
        {(page) =>
          page.items[0] ? (
            <p>
              <Link href={`/invoices/${page.items[0].id}`}>
                {t('overview.last_invoice', { number: page.items[0].number, total: format.money(page.items[0].total, page.items[0].currency) })}
              </Link>{' '}
              <InvoiceStatus status={page.items[0].status} />
            </p>
          ) : (
            <p class="sc-muted">{t('invoice.none')}</p>
          )
        }
      </Loaded>
    </section>
  );
}

/// The balance and the ledger with its running balance, oldest first, paged.
export function LedgerTable({ api, path }: { api: Api; path: string }) {
  const paged = usePaged<LedgerEntry, Ledger>(api, path, 50);
  return (
    <Loaded load={paged.load}>
      {(first) => {
        const ledger = first as Ledger;
        const money = (amount: string) => format.money(amount, ledger.currency);
        const owed = Number(ledger.balance);
        return (
          <>
            <p class="sc-card" role="status">
              {owed < 0 ? t('ledger.credit', { amount: money(String(-owed)) }) : t('ledger.owed', { amount: money(ledger.balance) })}
            </p>
            <Table
              rows={paged.items}
              rowKey={(e) => String(e.sequence)}
              empty={t('ledger.none')}
              columns={[
                { label: t('ledger.date'), cell: (e) => format.day(e.date) },
                { label: t('ledger.what'), cell: (e) => t(e.kind === 'invoice' ? 'ledger.invoice' : e.kind === 'payment' ? 'ledger.payment' : e.kind === 'write_off' ? 'ledger.write_off' : 'ledger.credit_note') },
                { label: t('ledger.reference'), cell: (e) => e.reference },
                { label: t('invoice.amount'), cell: (e) => money(e.amount) },
                { label: t('ledger.balance'), cell: (e) => money(e.balance) },
              ]}
            />
            <MoreButton paged={paged} />
          </>
        );
      }}
    </Loaded>
  );
}
