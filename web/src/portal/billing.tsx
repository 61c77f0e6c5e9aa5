// The customer's bills: its invoices (each with its lines), and the transaction ledger
// with its balance (the provider's Invoices module turns these pages on); and the reports
// of its invoices the provider granted it (the Reports module).
import { useState } from 'preact/hooks';
import { Api, PageOf } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { InvoiceList, InvoicePage, LedgerTable, type InvoiceSummary } from '../shared/invoice';
import { Empty, Field, Link, Loaded, ProblemNote, Table, useAction, useLoad } from '../shared/ui';
import { PayInvoice } from './payments';

export function Invoices({ api }: { api: Api }) {
  return (
    <>
      <h1>{t('nav.invoices')}</h1>
      <p>
        <Link href="/invoices/ledger">{t('ledger.title')}</Link>
      </p>
      <InvoiceList api={api} path="/v1/portal/invoices" href={(i) => `/invoices/${i.id}`} />
    </>
  );
}

export function PortalInvoice({ api, id, pays }: { api: Api; id: string; pays: boolean }) {
  const owed = useLoad(() => (pays ? api.get<InvoiceSummary>(`/v1/portal/invoices/${id}`) : Promise.resolve(null)), [id, pays]);
  return (
    <>
      <p>
        <Link href="/invoices">{t('invoice.back')}</Link>
      </p>
      {owed.value && Number(owed.value.outstanding) > 0 && <PayInvoice api={api} invoice={id} />}
      <InvoicePage api={api} path={`/v1/portal/invoices/${id}`} />
    </>
  );
}

export function PortalLedger({ api }: { api: Api }) {
  return (
    <>
      <p>
        <Link href="/invoices">{t('invoice.back')}</Link>
      </p>
      <h1>{t('ledger.title')}</h1>
      <LedgerTable api={api} path="/v1/portal/ledger" />
      <LedgerDownload api={api} path="/v1/portal/ledger/export" />
    </>
  );
}

/// The transactions of a period (either end open) as a CSV file.
export function LedgerDownload({ api, path }: { api: Api; path: string }) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const action = useAction();
  const query = [from && `from=${encodeURIComponent(from)}`, to && `to=${encodeURIComponent(to)}`].filter(Boolean).join('&');
  return (
    <form
      class="sc-card sc-actions"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(() => api.download(query ? `${path}?${query}` : path, `transactions-${from || 'start'}-to-${to || 'now'}.csv`));
      }}
    >
      <Field label={t('reports.from')} name="ledger-from" type="date" value={from} onInput={setFrom} />
      <Field label={t('reports.to')} name="ledger-to" type="date" value={to} onInput={setTo} />
      <button type="submit" class="sc-button sc-button-quiet" disabled={action.busy}>
        {t('usage.download')}
      </button>
      {action.error !== null && <ProblemNote error={action.error} />}
    </form>
  );
}

type GrantedReport = 'spend-by-cost-centre' | 'spend-by-service' | 'calls-by-invoice';

interface ReportRow {
  label: string;
  quantity: number;
  period_start?: string | null;
  period_end?: string | null;
  net: string;
  tax: string;
  gross: string;
}

interface ReportView {
  report: GrantedReport;
  invoice_number: string;
  currency: string;
  rows: ReportRow[];
  total: string;
}

/// The reports the provider shared with the account, each for one of its invoices, on
/// screen and as CSV.
export function Reports({ api }: { api: Api }) {
  const granted = useLoad(() => api.get<{ reports: GrantedReport[] }>('/v1/portal/reports'));
  const invoices = useLoad(() => api.get<PageOf<InvoiceSummary>>('/v1/portal/invoices?limit=24'));
  return (
    <>
      <h1>{t('nav.reports')}</h1>
      <Loaded load={granted}>
        {(g) =>
          g.reports.length === 0 ? (
            <Empty text={t('reports.none_granted')} />
          ) : (
            <Loaded load={invoices}>
              {(page) => (page.items.length === 0 ? <Empty text={t('reports.no_invoices')} /> : <ReportChooser api={api} reports={g.reports} invoices={page.items} />)}
            </Loaded>
          )
        }
      </Loaded>
    </>
  );
}

function ReportChooser({ api, reports, invoices }: { api: Api; reports: GrantedReport[]; invoices: InvoiceSummary[] }) {
  const [report, setReport] = useState<GrantedReport>(reports[0]);
  const [invoice, setInvoice] = useState(invoices[0].id);
  const path = `/v1/portal/reports/${report}/invoices/${invoice}`;
  const shown = useLoad(() => api.get<ReportView>(path), [path]);
  const action = useAction();
  const number = invoices.find((i) => i.id === invoice)?.number ?? '';
  const calls = report === 'calls-by-invoice';
  return (
    <>
      <div class="sc-card sc-actions">
        <div class="sc-field">
          <label for="field-report">{t('reports.report')}</label>
          <select id="field-report" value={report} onChange={(e) => setReport((e.currentTarget as HTMLSelectElement).value as GrantedReport)}>
            {reports.map((r) => (
              <option key={r} value={r}>
                {t(`report.${r}`)}
              </option>
            ))}
          </select>
        </div>
        <div class="sc-field">
          <label for="field-report-invoice">{t('reports.invoice')}</label>
          <select id="field-report-invoice" value={invoice} onChange={(e) => setInvoice((e.currentTarget as HTMLSelectElement).value)}>
            {invoices.map((i) => (
              <option key={i.id} value={i.id}>
                {i.number} · {format.day(i.issued_on)}
              </option>
            ))}
          </select>
        </div>
        <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => action.run(() => api.download(`${path}?format=csv`, `${report}-${number.replace(/\//g, '-')}.csv`))}>
          {t('usage.download')}
        </button>
      </div>
      {action.error !== null && <ProblemNote error={action.error} />}
      <Loaded load={shown}>
        {(view) => (
          <>
            <h2>{t('reports.of_invoice', { report: t(`report.${view.report}`), number: view.invoice_number })}</h2>
            <Table
              rows={view.rows}
              rowKey={(r) => `${r.label}|${r.period_start ?? ''}`}
              empty={calls ? t('reports.no_usage') : t('reports.no_rows')}
              columns={[
                {
                  label: report === 'spend-by-cost-centre' ? t('reports.cost_centre') : t('reports.service'),
                  cell: (r) => r.label || (report === 'spend-by-cost-centre' ? t('reports.no_cost_centre') : t('reports.account_charges')),
                },
                calls
                  ? { label: t('reports.records'), cell: (r) => format.count(r.quantity) }
                  : { label: t('reports.lines'), cell: (r) => format.count(r.quantity) },
                ...(calls ? [{ label: t('invoice.period'), cell: (r: ReportRow) => (r.period_start && r.period_end ? `${format.day(r.period_start)} – ${format.day(r.period_end)}` : '') }] : []),
                { label: t('reports.tax'), cell: (r) => format.money(r.tax, view.currency) },
                { label: t('reports.amount'), cell: (r) => format.money(r.gross, view.currency) },
              ]}
            />
            <p class="sc-figure">{t('reports.total', { total: format.money(view.total, view.currency) })}</p>
          </>
        )}
      </Loaded>
    </>
  );
}
