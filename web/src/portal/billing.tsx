// The customer's bills: its invoices (each with its lines), and the transaction ledger
// with its balance. The provider's Invoices module turns these pages on.
import { useState } from 'preact/hooks';
import { Api } from '../shared/api';
import { t } from '../shared/i18n';
import { InvoiceList, InvoicePage, LedgerTable } from '../shared/invoice';
import { Field, Link, ProblemNote, useAction } from '../shared/ui';

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

export function PortalInvoice({ api, id }: { api: Api; id: string }) {
  return (
    <>
      <p>
        <Link href="/invoices">{t('invoice.back')}</Link>
      </p>
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
