// The provider console: staff sign in, then approve orders, work the provisioning queue,
// find accounts (their portal access, impersonation) and read the audit trail. Menu items
// follow the staff member's permissions.
import { CataloguePage, ServiceGroupsPage } from './catalogue';
import { Dashboard } from './dashboard';
import { render } from 'preact';
import '../shared/styles.css';
import { Api, tenantSlug } from '../shared/api';
import { useBranding } from '../shared/branding';
import { t } from '../shared/i18n';
import { useSession } from '../shared/session';
import { useEffect } from 'preact/hooks';
import { navigate, usePath } from '../shared/router';
import { SignIn } from '../shared/sign-in';
import { CredentialsLink } from '../shared/credentials';
import { SecurityPage, TwoFactorEnrolment } from '../shared/security';
import { Frame, Loading, NotFound, ProblemNote } from '../shared/ui';
import { AccountPage, Accounts, Audit, History, Pending, Provisioning, Retailers, StaffMe } from './pages';
import { BrandingPage, OrderSettingsPage } from './settings';
import { AccessSettingsPage, AccountAttributesPage, FailedMailPage, Reports, Staff } from './admin';
import { UsageFiles } from './usage';
import { BillRuns, BillingReports, BillingSettingsPage, ConsoleInvoice } from './billing';
import { ReconciliationPage } from './reconciliation';
import { CardReports, PaymentSettingsPage } from './payments';

const api = new Api('console');

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to), [to]);
  return <Loading />;
}

function App() {
  const path = usePath('/console');
  const branding = useBranding(api);
  const { me, error, reload, signOut, chooseLanguage } = useSession<StaffMe>(api, '/v1/console/me', '/console/');

  // A staff member's set-up or reset link from mail: no session yet.
  if (path === '/credentials/create' || path === '/credentials/reset') {
    return (
      <Frame brand={branding?.provider ?? tenantSlug() ?? t('auth.console_title')} logo={branding?.logo_url} nav={[]}>
        <CredentialsLink api={api} kind={path === '/credentials/create' ? 'create' : 'reset'} home="/console/" />
      </Frame>
    );
  }
  if (!api.token) {
    return (
      <Frame brand={branding?.provider ?? tenantSlug() ?? t('auth.console_title')} logo={branding?.logo_url} nav={[]}>
        <SignIn api={api} title={t('auth.console_title')} forgot={false} onSignedIn={reload} />
      </Frame>
    );
  }
  // A session that cannot be read keeps the frame: the brand, and a way out.
  if (error) {
    return (
      <Frame brand={branding?.provider ?? tenantSlug() ?? t('auth.console_title')} logo={branding?.logo_url} nav={[]} onSignOut={signOut}>
        <ProblemNote error={error} onRetry={reload} />
      </Frame>
    );
  }
  if (!me) return <Loading />;

  // The provider requires two-factor sign-in of staff and this login has not set it up.
  if (me.two_factor_enrolment_required) {
    return (
      <Frame brand={`${me.provider} · ${t('auth.console_title')}`} logo={branding?.logo_url} nav={[]} onSignOut={signOut}>
        <h1>{t('security.title')}</h1>
        <TwoFactorEnrolment api={api} required onDone={reload} />
      </Frame>
    );
  }
  const may = (permission: string) => me.permissions.includes(permission);
  const nav = [
    { href: '/console/dashboard', label: t('nav.dashboard'), show: true },
    { href: '/console/', label: t('nav.pending'), show: may('orders_approve') },
    { href: '/console/history', label: t('nav.history'), show: may('orders_approve') },
    { href: '/console/provisioning', label: t('nav.provisioning'), show: may('provisioning_manage') },
    { href: '/console/accounts', label: t('nav.accounts'), show: may('accounts_read') },
    { href: '/console/catalogue', label: t('nav.catalogue'), show: may('accounts_read') },
    { href: '/console/service-groups', label: t('nav.service_groups'), show: may('accounts_read') },
    { href: '/console/retailers', label: t('nav.retailers'), show: me.provider_kind === 'wholesale' && may('accounts_read') },
    { href: '/console/audit', label: t('nav.audit'), show: may('audit_view') },
    { href: '/console/staff', label: t('nav.staff'), show: may('staff_manage') },
    { href: '/console/reports', label: t('nav.reports'), show: may('reports_view') },
    { href: '/console/billing-reports', label: t('nav.billing_reports'), show: may('reports_view') },
    { href: '/console/card-reports', label: t('nav.card_reports'), show: may('reports_view') },
    { href: '/console/usage-files', label: t('nav.usage_files'), show: may('reports_view') },
    { href: '/console/mail', label: t('nav.failed_mail'), show: may('settings_manage') },
    { href: '/console/settings/access', label: t('nav.access_settings'), show: may('settings_manage') },
    { href: '/console/settings/orders', label: t('nav.order_settings'), show: may('settings_manage') },
    { href: '/console/settings/account-attributes', label: t('nav.account_attributes'), show: may('settings_manage') },
    { href: '/console/bill-runs', label: t('nav.bill_runs'), show: may('billing_manage') },
    { href: '/console/settings/billing', label: t('nav.billing_settings'), show: may('billing_manage') },
    { href: '/console/settings/payments', label: t('nav.payment_settings'), show: may('billing_manage') },
    { href: '/console/branding', label: t('nav.branding'), show: may('branding_manage') },
    { href: '/console/security', label: t('nav.security'), show: true },
  ]
    .filter((n) => n.show)
    .map((n) => ({ ...n, current: n.href === '/console/' ? path === '/' : ('/console' + path).startsWith(n.href) }));
  const account = path.match(/^\/accounts\/([0-9A-Z]+)$/);
  const invoice = path.match(/^\/accounts\/([0-9A-Z]+)\/invoices\/([0-9A-Z]{26})$/);
  const reconciliation = path.match(/^\/accounts\/([0-9A-Z]+)\/reconciliation$/);
  const accountAudit = path.match(/^\/audit\/accounts\/([0-9A-Z]+)$/);
  // The first page is the first the staff member may see after the dashboard.
  const home = nav[1]?.href ?? '/console/dashboard';
  const language = { current: me.language, choose: chooseLanguage };
  return (
    <Frame brand={`${me.provider} · ${t('auth.console_title')}`} logo={branding?.logo_url} nav={nav} onSignOut={signOut} language={language} wide>
      {account ? (
        <AccountPage api={api} id={account[1]} mayBill={may('billing_manage')} mayAudit={may('audit_view')} />
      ) : invoice ? (
        <ConsoleInvoice api={api} account={invoice[1]} id={invoice[2]} mayBill={may('billing_manage')} />
      ) : reconciliation ? (
        <ReconciliationPage api={api} account={reconciliation[1]} mayBill={may('billing_manage')} />
      ) : path === '/catalogue' ? (
        <CataloguePage api={api} mayEdit={may('settings_manage')} />
      ) : path === '/service-groups' ? (
        <ServiceGroupsPage api={api} mayEdit={may('accounts_write')} />
      ) : path === '/dashboard' ? (
        <Dashboard api={api} may={may} />
      ) : path === '/billing-reports' ? (
        <BillingReports api={api} />
      ) : path === '/security' ? (
        <SecurityPage api={api} />
      ) : path === '/card-reports' ? (
        <CardReports api={api} />
      ) : path === '/settings/payments' ? (
        <PaymentSettingsPage api={api} />
      ) : path === '/bill-runs' ? (
        <BillRuns api={api} />
      ) : path === '/settings/billing' ? (
        <BillingSettingsPage api={api} />
      ) : path === '/history' ? (
        <History api={api} />
      ) : path === '/provisioning' ? (
        <Provisioning api={api} />
      ) : path === '/accounts' ? (
        <Accounts api={api} mayWrite={may('accounts_write')} />
      ) : path === '/audit' ? (
        <Audit api={api} />
      ) : accountAudit ? (
        <Audit api={api} account={accountAudit[1]} key={accountAudit[1]} />
      ) : path === '/retailers' ? (
        <Retailers api={api} />
      ) : path === '/branding' ? (
        <BrandingPage api={api} />
      ) : path === '/staff' ? (
        <Staff api={api} />
      ) : path === '/reports' ? (
        <Reports api={api} />
      ) : path === '/usage-files' ? (
        <UsageFiles api={api} mayUpload={may('settings_manage')} />
      ) : path === '/mail' ? (
        <FailedMailPage api={api} />
      ) : path === '/settings/access' ? (
        <AccessSettingsPage api={api} />
      ) : path === '/settings/orders' ? (
        <OrderSettingsPage api={api} />
      ) : path === '/settings/account-attributes' ? (
        <AccountAttributesPage api={api} />
      ) : path === '/' && home !== '/console/' ? (
        <Redirect to={home} />
      ) : path === '/' ? (
        <Pending api={api} />
      ) : (
        <NotFound home="/console/" />
      )}
    </Frame>
  );
}

tenantSlug();
render(<App />, document.getElementById('app')!);
