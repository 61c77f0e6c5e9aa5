// The card form of a provider connected to Stripe: Stripe's Payment Element, loaded from
// js.stripe.com (Stripe requires it be loaded from there, never bundled), so that card
// numbers go from the customer's browser to Stripe and never through selfcare. Only the
// `/pay/…` pages may load it: their content security policy alone names Stripe's origins,
// so the page is reached by a full load, with what it needs kept in this tab's storage.
import { useEffect, useRef, useState } from 'preact/hooks';
import { language, t } from '../shared/i18n';
import * as format from '../shared/format';
import { Loading } from '../shared/ui';

const STRIPE_JS = 'https://js.stripe.com/v3/';

/// What the card page needs, kept for this tab only: never in a link or on the server.
export interface KeptCheckout {
  kind: 'payment' | 'setup';
  publishable_key: string;
  client_secret: string;
  return_url: string;
  amount?: string;
  currency?: string;
}

const storageKey = (id: string) => `selfcare.checkout.${id}`;

/// Sends the browser to the Stripe card page of a payment or a card set-up.
export function goToStripe(id: string, checkout: KeptCheckout) {
  sessionStorage.setItem(storageKey(id), JSON.stringify(checkout));
  location.assign(`/pay/${encodeURIComponent(id)}${location.search}`);
}

interface StripeElement {
  mount(target: HTMLElement): void;
  on(event: 'ready', handler: () => void): void;
}
interface StripeJs {
  elements(options: { clientSecret: string; locale?: string }): { create(kind: 'payment'): StripeElement };
  confirmPayment(options: unknown): Promise<{ error?: { message?: string } }>;
  confirmSetup(options: unknown): Promise<{ error?: { message?: string } }>;
}
type StripeFactory = (publishableKey: string) => StripeJs;

function loadStripe(): Promise<StripeFactory> {
  const present = (window as unknown as { Stripe?: StripeFactory }).Stripe;
  if (present) return Promise.resolve(present);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = STRIPE_JS;
    const timer = setTimeout(() => reject(new Error('timeout')), 20_000);
    script.onload = () => {
      clearTimeout(timer);
      const loaded = (window as unknown as { Stripe?: StripeFactory }).Stripe;
      loaded ? resolve(loaded) : reject(new Error('no Stripe'));
    };
    script.onerror = () => {
      clearTimeout(timer);
      reject(new Error('blocked'));
    };
    document.head.appendChild(script);
  });
}

/// The `/pay/{id}` page.
export function StripeCardPage({ id }: { id: string }) {
  const [kept] = useState<KeptCheckout | null>(() => {
    try {
      return JSON.parse(sessionStorage.getItem(storageKey(id)) ?? 'null');
    } catch {
      return null;
    }
  });
  const [stripe, setStripe] = useState<{ js: StripeJs; elements: ReturnType<StripeJs['elements']> } | null>(null);
  const [ready, setReady] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const target = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!kept) return;
    loadStripe().then(
      (factory) => {
        const js = factory(kept.publishable_key);
        const elements = js.elements({ clientSecret: kept.client_secret, locale: language() });
        const element = elements.create('payment');
        element.on('ready', () => setReady(true));
        if (target.current) element.mount(target.current);
        setStripe({ js, elements });
      },
      () => setFailure(t('pay.form_unavailable')),
    );
  }, []);

  if (!kept) {
    return (
      <div class="sc-card">
        <h1>{t('pay.card_form')}</h1>
        <p role="alert">{t('pay.form_expired')}</p>
        <a href={`/payments${location.search}`}>{t('nav.payments')}</a>
      </div>
    );
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!stripe) return;
    setBusy(true);
    setFailure(null);
    const options = { elements: stripe.elements, confirmParams: { return_url: kept.return_url } };
    // On success Stripe sends the browser to the return address (after the bank's step
    // when one is asked); an answer here is a failure to show.
    const answer = kept.kind === 'payment' ? await stripe.js.confirmPayment(options) : await stripe.js.confirmSetup(options);
    setBusy(false);
    setFailure(answer.error?.message ?? t('app.error'));
  };
  return (
    <form class="sc-card" onSubmit={submit}>
      <h1>{kept.kind === 'payment' && kept.amount && kept.currency ? t('pay.paying', { amount: format.money(kept.amount, kept.currency) }) : t('pay.card_add')}</h1>
      <div ref={target} />
      {!ready && !failure && <Loading />}
      {failure && (
        <p class="sc-problem" role="alert">
          {failure}
        </p>
      )}
      <p class="sc-actions">
        <button type="submit" disabled={!ready || busy}>
          {kept.kind === 'payment' ? t('pay.go') : t('pay.card_add')}
        </button>
        {/* A full load back: the pages beyond this one keep the narrow policy. */}
        <a href={`/payments${location.search}`}>{t('app.cancel')}</a>
      </p>
    </form>
  );
}
