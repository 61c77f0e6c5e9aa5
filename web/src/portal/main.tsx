// The end-user portal: signs in, finds who the login is, and shows the page the path
// names. Only the modules the provider turned on appear in the menu.
import { render } from 'preact';
import '../shared/styles.css';
import { Api, tenantSlug } from '../shared/api';
import { useBranding } from '../shared/branding';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { useSession } from '../shared/session';
import { navigate, usePath } from '../shared/router';
import { Frame, Loading, NotFound, ProblemNote } from '../shared/ui';
import { CardLink, CredentialsLink, Forgot, SignIn, UnlockLink } from './auth';
import { Me, OrderPage, Orders, Overview, ServicePage, Services, Usage } from './pages';
import { AccountPage } from './account';
import { AccessHistory, Numbers, PortIn } from './voice';
import { Alerts } from './alerts';
import { Invoices, PortalInvoice, PortalLedger, Reports } from './billing';
import { CardSaved, PaymentResult, PaymentsPage } from './payments';
import { StripeCardPage } from './stripe';
import { SecurityPage, TwoFactorEnrolment } from '../shared/security';

const api = new Api('portal');

/// Staff starting an impersonation open the portal with the session in the fragment.
function takeImpersonation() {
  const token = new URLSearchParams(location.hash.slice(1)).get('impersonation');
  if (token) {
    api.token = token;
    history.replaceState(null, '', location.pathname + location.search);
  }
}

function App() {
  const path = usePath('/');
  const branding = useBranding(api);
  const look = { brand: branding?.provider ?? tenantSlug() ?? '', logo: branding?.logo_url, contact: branding };
  const { me, error, reload, signOut, chooseLanguage } = useSession<Me>(api, '/v1/portal/me', '/');

  if (path === '/credentials/create') return <Frame {...look} nav={[]}><CredentialsLink api={api} kind="create" /></Frame>;
  if (path === '/credentials/reset') return <Frame {...look} nav={[]}><CredentialsLink api={api} kind="reset" /></Frame>;
  if (path === '/credentials/unlock') return <Frame {...look} nav={[]}><UnlockLink api={api} /></Frame>;
  if (path === '/credentials/card') return <Frame {...look} nav={[]}><CardLink api={api} onSignedIn={reload} /></Frame>;
  if (!api.token) {
    return (
      <Frame {...look} nav={[]}>
        {path === '/forgot' ? <Forgot api={api} /> : <SignIn api={api} title={t('auth.sign_in')} onSignedIn={() => { if (path === '/forgot') navigate('/'); reload(); }} />}
      </Frame>
    );
  }
  // A session that cannot be read keeps the frame: the brand, and a way out.
  if (error) {
    return (
      <Frame {...look} nav={[]} onSignOut={signOut}>
        <ProblemNote error={error} onRetry={reload} />
      </Frame>
    );
  }
  if (!me) return <Loading />;

  // The provider requires two-factor sign-in and this login has not set it up: that first.
  if (me.two_factor_enrolment_required) {
    return (
      <Frame {...look} brand={me.provider} nav={[]} onSignOut={signOut}>
        <h1>{t('security.title')}</h1>
        <TwoFactorEnrolment api={api} required onDone={reload} />
      </Frame>
    );
  }
  const modules = new Set(me.modules);
  // Invoices and the ledger: the module on, and a role that reads bills.
  const bills = modules.has('invoices') && me.actions.includes('billing_view');
  // The reports granted to the account are of its invoices: the same role reads them.
  const reports = modules.has('reports') && me.actions.includes('billing_view');
  // Card payments: the module on; paying needs a role that pays, in the customer's own
  // session.
  const payments = modules.has('payments') && me.actions.includes('billing_view');
  const pays = payments && me.actions.includes('pay');
  const nav = [
    { href: '/', label: t('nav.overview'), show: true },
    { href: '/services', label: t('nav.services'), show: modules.has('services') },
    { href: '/usage', label: t('nav.usage'), show: modules.has('usage') },
    { href: '/invoices', label: t('nav.invoices'), show: bills },
    { href: '/reports', label: t('nav.reports'), show: reports },
    { href: '/payments', label: t('nav.payments'), show: payments },
    { href: '/orders', label: t('nav.orders'), show: modules.has('orders') },
    { href: '/numbers', label: t('nav.numbers'), show: modules.has('number_ordering') },
    { href: '/account', label: t('nav.account'), show: true },
    { href: '/security', label: t('nav.security'), show: !me.impersonation },
  ]
    // A session from a payment link reaches the card pages only.
    .filter((n) => n.show && (!me.card_pages_only || n.href === '/invoices' || n.href === '/payments'))
    .map((n) => ({ ...n, current: n.href === '/' ? path === '/' : path.startsWith(n.href) }));
  const cardOnlyBanner = me.card_pages_only && (
    <div class="sc-banner" role="status">
      {t('pay.card_session', { until: format.date(me.session_expires_at) })}
    </div>
  );
  const banner = cardOnlyBanner || (me.impersonation && (
    <div class="sc-banner" role="status">
      {t('impersonation.banner', { by: me.impersonation.by, until: format.date(me.impersonation.ends_at) })}{' '}
      {me.impersonation.read_only && t('impersonation.read_only')}
    </div>
  ));
  const service = path.match(/^\/services\/([0-9A-Z]+)$/);
  const order = path.match(/^\/orders\/([0-9A-Z]{26})$/);
  const invoice = path.match(/^\/invoices\/([0-9A-Z]{26})$/);
  const payment = path.match(/^\/payments\/([0-9A-Z]{26})$/);
  const cardPage = path.match(/^\/pay\/([A-Za-z0-9_-]{1,64})$/);
  const setup = path === '/payments/cards' ? new URLSearchParams(location.search).get('setup') : null;
  const onCardPages = path.startsWith('/payments') || path.startsWith('/invoices') || cardPage;
  // Staff acting as the customer cannot choose the customer's language.
  const language = me.impersonation ? undefined : { current: me.language, choose: chooseLanguage };
  return (
    // The Stripe card page has no menu: its wider content security policy must not follow
    // the customer to other pages, so leaving it is a full page load.
    <Frame {...look} brand={me.provider} nav={cardPage ? [] : nav} onSignOut={signOut} banner={banner || undefined} language={language}>
      {me.card_pages_only && !onCardPages ? (
        <PaymentsPage api={api} />
      ) : service ? (
        <ServicePage api={api} me={me} id={service[1]} />
      ) : invoice && bills ? (
        <PortalInvoice api={api} id={invoice[1]} pays={pays} />
      ) : cardPage && pays ? (
        <StripeCardPage id={cardPage[1]} />
      ) : payment && payments ? (
        <PaymentResult api={api} id={payment[1]} />
      ) : setup && pays ? (
        <CardSaved api={api} setup={setup} />
      ) : path.startsWith('/payments') && payments ? (
        <PaymentsPage api={api} />
      ) : path === '/invoices/ledger' && bills ? (
        <PortalLedger api={api} />
      ) : path === '/invoices' && bills ? (
        <Invoices api={api} />
      ) : path === '/reports' && reports ? (
        <Reports api={api} />
      ) : path === '/services' ? (
        <Services api={api} />
      ) : order ? (
        <OrderPage api={api} me={me} id={order[1]} />
      ) : path === '/orders' ? (
        <Orders api={api} me={me} />
      ) : path === '/usage/alerts' ? (
        <Alerts api={api} />
      ) : path === '/usage' ? (
        <Usage api={api} />
      ) : path === '/numbers' ? (
        <Numbers api={api} />
      ) : path === '/numbers/port' ? (
        <PortIn api={api} />
      ) : path === '/account/access' ? (
        <AccessHistory api={api} />
      ) : path === '/security' && !me.impersonation ? (
        <SecurityPage api={api} />
      ) : path === '/account' ? (
        <AccountPage api={api} actions={me.actions} impersonating={Boolean(me.impersonation)} />
      ) : path === '/' ? (
        <Overview api={api} me={me} />
      ) : (
        <NotFound home="/" />
      )}
    </Frame>
  );
}

takeImpersonation();
tenantSlug();
render(<App />, document.getElementById('app')!);
