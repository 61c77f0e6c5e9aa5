// Usage alerts (a month's spend on the account, mailed once when reached) and a new
// service ordered from the provider's plans.
import { useState } from 'preact/hooks';
import { Api, PageOf, idempotencyKey } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { Empty, Field, Loaded, ProblemNote, fieldError, useAction, useLoad } from '../shared/ui';
import { Order, State } from '../shared/orders';

interface Alert {
  id: string;
  service?: string | null;
  measure: 'spend' | 'quantity';
  usage?: string | null;
  threshold: number;
}

export function Alerts({ api }: { api: Api }) {
  const alerts = useLoad(() => api.get<Alert[]>('/v1/portal/usage/alerts'));
  const [amount, setAmount] = useState('');
  const action = useAction();
  const add = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const threshold = Math.round(Number(amount.replace(',', '.')) * 100);
      await api.post('/v1/portal/usage/alerts', { measure: 'spend', threshold: Number.isFinite(threshold) ? threshold : -1 });
      setAmount('');
      alerts.reload();
    });
  };
  const remove = (alert: Alert) =>
    action.run(async () => {
      if (!confirm(t('alerts.confirm_remove'))) return;
      await api.request('DELETE', `/v1/portal/usage/alerts/${alert.id}`);
      alerts.reload();
    });
  return (
    <>
      <h1>{t('alerts.title')}</h1>
      <p class="sc-muted">{t('alerts.help')}</p>
      {action.error !== null && <ProblemNote error={action.error} />}
      <Loaded load={alerts}>
        {(list) =>
          list.length === 0 ? (
            <Empty text={t('alerts.none')} />
          ) : (
            <ul class="sc-card">
              {list.map((a) => (
                <li key={a.id} class="sc-actions">
                  <span>{a.measure === 'spend' ? t('alerts.spend', { amount: format.amount(a.threshold / 100) }) : `${a.usage}: ${a.threshold}`}</span>
                  <button type="button" class="sc-button sc-button-quiet" disabled={action.busy} onClick={() => remove(a)}>
                    {t('services.remove')}
                  </button>
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <form class="sc-card sc-actions" onSubmit={add}>
        <Field label={t('alerts.amount')} name="amount" inputmode="numeric" value={amount} onInput={setAmount} required error={fieldError(action.error, '/threshold')} />
        <button type="submit" class="sc-button" disabled={action.busy}>
          {t('alerts.add')}
        </button>
      </form>
    </>
  );
}

interface Plan {
  id: string;
  name: string;
}

export function NewService({ api, onPlaced }: { api: Api; onPlaced: () => void }) {
  const plans = useLoad(() => api.get<PageOf<Plan>>('/v1/portal/plans?limit=100'));
  const [plan, setPlan] = useState('');
  const [site, setSite] = useState('');
  const [placed, setPlaced] = useState<Order | null>(null);
  const action = useAction();
  return (
    <Loaded load={plans}>
      {(page) => {
        const chosen = plan || page.items[0]?.id || '';
        return (
          <form
            class="sc-card"
            onSubmit={(e) => {
              e.preventDefault();
              action.run(async () => {
                setPlaced(
                  await api.post<Order>('/v1/portal/orders', { request: { kind: 'new_service', plan: chosen, site_address: site || null } }, { 'idempotency-key': idempotencyKey() }),
                );
                onPlaced();
              });
            }}
          >
            <h2>{t('orders.new_service')}</h2>
            <div class="sc-field">
              <label for="field-new-plan">{t('voice.plan')}</label>
              <select id="field-new-plan" value={chosen} onChange={(e) => setPlan((e.currentTarget as HTMLSelectElement).value)}>
                {page.items.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </div>
            <Field label={t('orders.site_address')} name="site_address" value={site} onInput={setSite} />
            {placed && (
              <p class="sc-notice" role="status">
                {t('orders.placed', { summary: placed.summary })} <State state={placed.state} />
              </p>
            )}
            {action.error !== null && <ProblemNote error={action.error} />}
            <button type="submit" class="sc-button" disabled={action.busy}>
              {t('orders.order_button')}
            </button>
          </form>
        );
      }}
    </Loaded>
  );
}
