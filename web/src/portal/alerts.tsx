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

/// What an alert watches, as the form offers it: spend in money, or a usage type in the
/// unit people count it in (minutes, messages, megabytes), sent in the API's unit.
const KINDS = {
  spend: { measure: 'spend', usage: null, toApi: (n: number) => Math.round(n * 100) },
  call: { measure: 'quantity', usage: 'call', toApi: (n: number) => Math.round(n * 60) },
  message: { measure: 'quantity', usage: 'message', toApi: (n: number) => Math.round(n) },
  data: { measure: 'quantity', usage: 'data', toApi: (n: number) => Math.round(n * 1_000_000) },
} as const;

function alertWords(a: Alert, currency: string): string {
  if (a.measure === 'spend') return t('alerts.spend', { amount: format.money(a.threshold / 100, currency) });
  if (a.usage === 'call') return t('alerts.minutes', { minutes: format.count(Math.round(a.threshold / 60)) });
  if (a.usage === 'data') return t('alerts.megabytes', { megabytes: format.count(Math.round(a.threshold / 1_000_000)) });
  return t('alerts.messages', { messages: format.count(a.threshold) });
}

export function Alerts({ api }: { api: Api }) {
  const alerts = useLoad(() => api.get<Alert[]>('/v1/portal/usage/alerts'));
  const month = useLoad(() => api.get<{ currency: string }>('/v1/portal/usage'));
  const [amount, setAmount] = useState('');
  const [kind, setKind] = useState<keyof typeof KINDS>('spend');
  const action = useAction();
  const add = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const chosen = KINDS[kind];
      const threshold = chosen.toApi(Number(amount.replace(',', '.')));
      await api.post('/v1/portal/usage/alerts', { measure: chosen.measure, usage: chosen.usage, threshold: Number.isFinite(threshold) ? threshold : -1 });
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
  const currency = month.value?.currency ?? 'AUD';
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
                  <span>{alertWords(a, currency)}</span>
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
        <div class="sc-field">
          <label for="alert-kind">{t('alerts.watch')}</label>
          <select id="alert-kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as keyof typeof KINDS)}>
            {(Object.keys(KINDS) as (keyof typeof KINDS)[]).map((k) => (
              <option key={k} value={k}>
                {t(`alerts.kind_${k}`)}
              </option>
            ))}
          </select>
        </div>
        <Field label={t(`alerts.amount_${kind}`)} name="amount" inputmode="decimal" value={amount} onInput={setAmount} required error={fieldError(action.error, '/threshold')} />
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
