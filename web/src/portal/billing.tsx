// The customer's bills: its invoices (each with its lines), and the transaction ledger
// with its balance. The provider's Invoices module turns these pages on.
import { Api } from '../shared/api';
import { t } from '../shared/i18n';
import { InvoiceList, InvoicePage, LedgerTable } from '../shared/invoice';
import { Link } from '../shared/ui';

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
    </>
  );
}
