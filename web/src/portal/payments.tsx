// Card payments (the Payments module): paying an invoice or an amount ahead at the
// provider's gateway, the page the gateway sends the customer back to, saved cards and
// autopay. Card numbers are typed into the gateway's page, never into this site.
import { useEffect, useState } from 'preact/hooks';
import { Api, idempotencyKey } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { navigate } from '../shared/router';
import { goToStripe } from './stripe';
import { Empty, Field, Link, Loaded, ProblemNote, Table, useAction, useLoad } from '../shared/ui';

interface Card {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
}
interface CardPayment {
  id: string;
  status: 'pending' | 'requires_action' | 'processing' | 'succeeded' | 'failed' | 'canceled';
  origin: 'portal' | 'autopay';
  currency: string;
  amount: string;
  refunded: string;
  invoice?: string | null;
  invoice_number?: string | null;
  failure?: string | null;
  card?: Card | null;
  reference?: string | null;
  next_retry_on?: string | null;
  created_at: string;
}
interface Checkout {
  gateway: 'stripe' | 'embedded';
  publishable_key: string;
  client_secret: string;
  url?: string | null;
  return_url: string;
}
interface SavedCard extends Card {
  id: string;
}
interface Wallet {
  cards: SavedCard[];
  default_card?: string | null;
  autopay: boolean;
  autopay_required: boolean;
  autopay_on: 'issue' | 'due_date';
  payments_enabled: boolean;
}

/// Sends the browser to the gateway's card page: the embedded gateway's own, or this
/// portal's Stripe page (`id`: the payment or the card set-up).
function goToGateway(checkout: Checkout, id: string, payment?: CardPayment) {
  if (checkout.url) {
    location.assign(checkout.url);
    return;
  }
  goToStripe(id, {
    kind: payment ? 'payment' : 'setup',
    publishable_key: checkout.publishable_key,
    client_secret: checkout.client_secret,
    return_url: checkout.return_url,
    amount: payment?.amount,
    currency: payment?.currency,
  });
}

function cardWords(card: Card) {
  const brand = card.brand.charAt(0).toUpperCase() + card.brand.slice(1);
  return t('pay.card_ending', { brand, last4: card.last4, month: String(card.exp_month).padStart(2, '0'), year: card.exp_year });
}

/// "Pay this invoice": shown on an invoice with something left to pay.
export function PayInvoice({ api, invoice }: { api: Api; invoice: string }) {
  const action = useAction();
  return (
    <div class="sc-actions">
      <button
        type="button"
        disabled={action.busy}
        onClick={() =>
          action.run(async () => {
            const started = await api.post<{ payment: CardPayment; checkout: Checkout }>('/v1/portal/payments', { invoice });
            goToGateway(started.checkout, started.payment.id, started.payment);
          })
        }
      >
        {t('pay.invoice')}
      </button>
      {action.error && <ProblemNote error={action.error} />}
    </div>
  );
}

export function PaymentsPage({ api }: { api: Api }) {
  const wallet = useLoad(() => api.get<Wallet>('/v1/portal/wallet'), []);
  const history = useLoad(() => api.get<CardPayment[]>('/v1/portal/payments'), []);
  return (
    <>
      <h1>{t('pay.title')}</h1>
      <Loaded load={wallet}>
        {(w) =>
          !w.payments_enabled ? (
            <Empty text={t('pay.unavailable')} />
          ) : (
            <>
              <PayAhead api={api} />
              <Cards api={api} wallet={w} reload={wallet.reload} />
            </>
          )
        }
      </Loaded>
      <h2>{t('pay.history')}</h2>
      <Loaded load={history}>
        {(list) => (
          <Table
            rows={list}
            rowKey={(p) => p.id}
            empty={t('pay.none')}
            columns={[
              { label: t('pay.when'), cell: (p) => <Link href={`/payments/${p.id}`}>{format.date(p.created_at)}</Link> },
              { label: t('pay.what'), cell: (p) => (p.invoice_number ? t('invoice.title', { number: p.invoice_number }) : t('pay.ahead')) },
              { label: t('pay.amount'), cell: (p) => format.money(p.amount, p.currency) },
              { label: t('pay.card'), cell: (p) => (p.card ? cardWords(p.card) : '') },
              {
                label: t('pay.status'),
                cell: (p) => (
                  <>
                    {t(`pay.status.${p.status}` as 'pay.status.succeeded')}
                    {p.failure && <div class="sc-muted">{p.failure}</div>}
                    {p.next_retry_on && <div class="sc-muted">{t('pay.next_retry', { date: format.day(p.next_retry_on) })}</div>}
                    {p.refunded !== '0.00' && <div class="sc-muted">{t('pay.refunded', { amount: format.money(p.refunded, p.currency) })}</div>}
                  </>
                ),
              },
            ]}
          />
        )}
      </Loaded>
    </>
  );
}

function PayAhead({ api }: { api: Api }) {
  const [amount, setAmount] = useState('');
  const action = useAction();
  return (
    <form
      class="sc-card"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          const minor = Math.round(Number(amount.replace(',', '.')) * 100);
          const started = await api.post<{ payment: CardPayment; checkout: Checkout }>('/v1/portal/payments', { amount_minor: minor });
          goToGateway(started.checkout, started.payment.id, started.payment);
        });
      }}
    >
      <h2>{t('pay.amount_title')}</h2>
      <p class="sc-muted">{t('pay.amount_help')}</p>
      <Field label={t('pay.amount')} name="amount" value={amount} onInput={setAmount} inputmode="decimal" required />
      <button type="submit" disabled={action.busy}>
        {t('pay.go')}
      </button>
      {action.error && <ProblemNote error={action.error} />}
    </form>
  );
}

function Cards({ api, wallet, reload }: { api: Api; wallet: Wallet; reload: () => void }) {
  const action = useAction();
  const change = (run: () => Promise<unknown>) =>
    action.run(async () => {
      await run();
      reload();
    });
  return (
    <section class="sc-card" aria-labelledby="cards-title">
      <h2 id="cards-title">{t('pay.cards')}</h2>
      {wallet.cards.length === 0 ? (
        <Empty text={t('pay.cards_none')} />
      ) : (
        <ul>
          {wallet.cards.map((c) => (
            <li key={c.id}>
              {cardWords(c)}{' '}
              {wallet.default_card === c.id ? (
                <b>{t('pay.card_default')}</b>
              ) : (
                <button type="button" onClick={() => change(() => api.put(`/v1/portal/wallet/cards/${c.id}/default`, {}))}>
                  {t('pay.card_make_default')}
                </button>
              )}{' '}
              <button type="button" onClick={() => change(() => api.delete(`/v1/portal/wallet/cards/${c.id}`))}>
                {t('pay.card_remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <button
        type="button"
        disabled={action.busy}
        onClick={() =>
          action.run(async () => {
            goToGateway(await api.post<Checkout>('/v1/portal/wallet/cards'), `card-${idempotencyKey()}`);
          })
        }
      >
        {t('pay.card_add')}
      </button>
      <label class="sc-check">
        <input
          type="checkbox"
          checked={wallet.autopay}
          disabled={action.busy || wallet.cards.length === 0 || (wallet.autopay && wallet.autopay_required)}
          onChange={(e) => change(() => api.put('/v1/portal/wallet/autopay', { autopay: (e.target as HTMLInputElement).checked }))}
        />{' '}
        {t('pay.autopay')}
      </label>
      <p class="sc-muted">
        {wallet.autopay_on === 'issue' ? t('pay.autopay_on_issue') : t('pay.autopay_on_due_date')}{' '}
        {wallet.autopay_required && t('pay.autopay_required')}
      </p>
      {action.error && <ProblemNote error={action.error} />}
    </section>
  );
}

/// Where the gateway sends the customer back after saving a card.
export function CardSaved({ api, setup }: { api: Api; setup: string }) {
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api
      .post(`/v1/portal/wallet/setups/${setup}`)
      .then(() => navigate('/payments'))
      .catch(setError);
  }, [setup]);
  return error ? <ProblemNote error={error} /> : <p role="status">{t('pay.card_saved')}</p>;
}

/// Where the gateway sends the customer back after paying: how it went, in plain words.
export function PaymentResult({ api, id }: { api: Api; id: string }) {
  const payment = useLoad(() => api.get<CardPayment>(`/v1/portal/payments/${id}`), [id]);
  return (
    <>
      <p>
        <Link href="/payments">{t('pay.title')}</Link>
      </p>
      <Loaded load={payment}>
        {(p) => {
          const amount = format.money(p.amount, p.currency);
          return (
            <section class="sc-card" aria-live="polite">
              <h1>{t(`pay.status.${p.status}` as 'pay.status.succeeded')}</h1>
              {p.status === 'succeeded' ? (
                <>
                  <p>{t('pay.result.succeeded', { amount })}</p>
                  <p class="sc-muted">{t('pay.receipt', { reference: p.reference ?? p.id })}</p>
                </>
              ) : p.status === 'failed' ? (
                <>
                  <p>{t('pay.result.failed', { amount })}</p>
                  <p role="alert">{p.failure}</p>
                  {p.invoice && <Link href={`/invoices/${p.invoice}`}>{t('pay.result.again')}</Link>}
                </>
              ) : (
                <>
                  <p>{t('pay.result.waiting', { amount })}</p>
                  <button type="button" onClick={payment.reload}>
                    {t('pay.result.refresh')}
                  </button>
                </>
              )}
              {p.card && <p>{cardWords(p.card)}</p>}
            </section>
          );
        }}
      </Loaded>
    </>
  );
}
