// Voice services: a number's features and its emergency address (each change an order),
// numbers from the provider's inventory, ports from another carrier; and who accessed the
// account. What a login may order comes from /v1/portal/orders/settings.
import { useState } from 'preact/hooks';
import { Api, PageOf, idempotencyKey } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { Empty, Field, Link, Loaded, ProblemNote, Table, fieldError, useAction, useLoad } from '../shared/ui';
import { Order, State } from '../shared/orders';
import type { components } from '../shared/api-types';

export interface OrderOffer {
  kinds: string[];
  orderable_tiers: string[];
  editable_features: string[];
  emergency_address_countries: string[];
}

export interface Features {
  forward_to?: string | null;
  failover_to?: string | null;
  caller_id_name?: string | null;
  fax_to_email?: string | null;
  conference: boolean;
}

export interface EmergencyAddress {
  name: string;
  street: string;
  location?: string | null;
  city: string;
  region: string;
  postcode: string;
  country: string;
}

function usePlace(api: Api) {
  const [placed, setPlaced] = useState<Order | null>(null);
  const action = useAction();
  const place = (request: unknown, done?: () => void) =>
    action.run(async () => {
      setPlaced(await api.post<Order>('/v1/portal/orders', { request }, { 'idempotency-key': idempotencyKey() }));
      done?.();
    });
  const notice = (
    <>
      {placed && (
        <p class="sc-notice" role="status">
          {t('orders.placed', { summary: placed.summary })} <State state={placed.state} />
        </p>
      )}
      {action.error !== null && <ProblemNote error={action.error} />}
    </>
  );
  return { place, notice, action };
}

const FEATURE_FIELDS = [
  ['call_forwarding', 'forward_to', 'voice.forward_to'],
  ['failover', 'failover_to', 'voice.failover_to'],
  ['caller_id_name', 'caller_id_name', 'voice.caller_id_name'],
  ['fax_to_email', 'fax_to_email', 'voice.fax_to_email'],
] as const;

export function FeaturesForm({ api, service, current, offer, onPlaced }: { api: Api; service: string; current: Features; offer: OrderOffer; onPlaced: () => void }) {
  const [wanted, setWanted] = useState<Features>(current);
  const { place, notice, action } = usePlace(api);
  if (!offer.kinds.includes('number_features')) return null;
  const editable = new Set(offer.editable_features);
  return (
    <form
      class="sc-card"
      onSubmit={(e) => {
        e.preventDefault();
        place({ kind: 'number_features', service, features: wanted }, onPlaced);
      }}
    >
      <h2>{t('services.features')}</h2>
      {FEATURE_FIELDS.filter(([feature]) => editable.has(feature)).map(([feature, key, label]) => (
        <Field
          key={feature}
          label={t(label)}
          name={key}
          value={wanted[key] ?? ''}
          onInput={(v) => setWanted({ ...wanted, [key]: v.trim() ? v : null })}
          error={fieldError(action.error, `/request/features/${key}`) ?? fieldError(action.error, `/request/features/${feature}`)}
        />
      ))}
      {editable.has('conference') && (
        <label class="sc-field">
          <span>
            <input type="checkbox" name="conference" checked={wanted.conference} onChange={(e) => setWanted({ ...wanted, conference: (e.currentTarget as HTMLInputElement).checked })} />{' '}
            {t('voice.conference')}
          </span>
        </label>
      )}
      {notice}
      <button type="submit" class="sc-button" disabled={action.busy}>
        {t('voice.request_change')}
      </button>
    </form>
  );
}

/// Whether a number of `country` takes an emergency address with this provider.
export function emergencyApplies(offer: OrderOffer, country: string | null | undefined): boolean {
  return offer.kinds.includes('emergency_address') && !!country && offer.emergency_address_countries.includes(country);
}

export function EmergencyForm({ api, service, country, current, offer, onPlaced }: { api: Api; service: string; country: string | null | undefined; current: EmergencyAddress | null; offer: OrderOffer; onPlaced: () => void }) {
  const [address, setAddress] = useState<EmergencyAddress>(current ?? { name: '', street: '', location: '', city: '', region: '', postcode: '', country: country ?? '' });
  const { place, notice, action } = usePlace(api);
  if (!emergencyApplies(offer, country)) return null;
  const field = (key: keyof EmergencyAddress, label: Parameters<typeof t>[0]) => (
    <Field label={t(label)} name={`e911-${key}`} value={String(address[key] ?? '')} onInput={(v) => setAddress({ ...address, [key]: v })} error={fieldError(action.error, `/request/address/${key}`)} />
  );
  return (
    <form
      class="sc-card"
      onSubmit={(e) => {
        e.preventDefault();
        place({ kind: 'emergency_address', service, address: { ...address, location: address.location || null } }, onPlaced);
      }}
    >
      <h2>{t('voice.emergency')}</h2>
      <p class="sc-muted">{t('voice.emergency_help')}</p>
      {field('name', 'voice.e911_name')}
      {field('street', 'voice.e911_street')}
      {field('location', 'voice.e911_location')}
      {field('city', 'voice.e911_city')}
      {field('region', 'voice.e911_region')}
      {field('postcode', 'voice.e911_postcode')}
      {field('country', 'voice.e911_country')}
      {notice}
      <button type="submit" class="sc-button" disabled={action.busy}>
        {t('voice.request_change')}
      </button>
    </form>
  );
}

interface Plan {
  id: string;
  name: string;
  service_type: string;
}

function PlanChoice({ plans, value, onChange }: { plans: Plan[]; value: string; onChange: (v: string) => void }) {
  return (
    <div class="sc-field">
      <label for="field-plan">{t('voice.plan')}</label>
      <select id="field-plan" name="plan" value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}>
        {plans.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
    </div>
  );
}

type VoiceService = Pick<components['schemas']['ServiceView'], 'id' | 'identifier_shown' | 'service_type' | 'country' | 'features_shown' | 'emergency_address'>;

/// Every number of the account with its features and emergency address, in one list; each
/// links to its page, where they are changed.
export function NumberList({ api, services }: { api: Api; services: VoiceService[] }) {
  const offer = useLoad(() => api.get<OrderOffer>('/v1/portal/orders/settings'));
  const voice = services.filter((s) => s.service_type === 'voice');
  if (voice.length === 0) return null;
  const text = (value: string | null | undefined) => value || '—';
  return (
    <section aria-labelledby="numbers-title">
      <h2 id="numbers-title">{t('voice.your_numbers')}</h2>
      <Loaded load={offer}>
        {(o) => (
          <Table
            rows={voice}
            rowKey={(s) => s.id}
            empty={t('services.none')}
            columns={[
              { label: t('services.identifier'), cell: (s) => <Link href={`/services/${s.id}`}>{s.identifier_shown}</Link>, sort: (s) => s.identifier_shown },
              { label: t('feature.call_forwarding'), cell: (s) => text(s.features_shown.forward_to) },
              { label: t('feature.failover'), cell: (s) => text(s.features_shown.failover_to) },
              { label: t('feature.caller_id_name'), cell: (s) => text(s.features_shown.caller_id_name) },
              { label: t('feature.fax_to_email'), cell: (s) => text(s.features_shown.fax_to_email) },
              { label: t('feature.conference'), cell: (s) => (s.features_shown.conference ? t('voice.on') : t('voice.off')) },
              {
                label: t('voice.emergency_short'),
                cell: (s) =>
                  !emergencyApplies(o, s.country) ? <span class="sc-muted">{t('voice.emergency_not_needed')}</span> : s.emergency_address ? `${s.emergency_address.street}, ${s.emergency_address.city}` : <strong>{t('voice.emergency_missing')}</strong>,
              },
            ]}
          />
        )}
      </Loaded>
    </section>
  );
}

export function Numbers({ api }: { api: Api }) {
  const offer = useLoad(() => api.get<OrderOffer>('/v1/portal/orders/settings'));
  const plans = useLoad(() => api.get<PageOf<Plan>>('/v1/portal/plans?limit=100'));
  const [area, setArea] = useState('');
  const [search, setSearch] = useState<{ area: string; tier: string } | null>(null);
  const [tier, setTier] = useState('');
  const [plan, setPlan] = useState('');
  const found = useLoad(
    () => (search ? api.get<PageOf<{ number: string; tier: string }>>(`/v1/portal/numbers?area=${encodeURIComponent(search.area)}${search.tier ? `&tier=${encodeURIComponent(search.tier)}` : ''}&limit=50`) : Promise.resolve({ items: [] })),
    [search?.area, search?.tier],
  );
  const { place, notice, action } = usePlace(api);
  return (
    <>
      <h1>{t('voice.numbers')}</h1>
      <p>
        <Link href="/numbers/port">{t('voice.port')}</Link>
      </p>
      <Loaded load={offer}>
        {(o) =>
          !o.kinds.includes('number') ? (
            <Empty text={t('voice.numbers_off')} />
          ) : (
            <Loaded load={plans}>
              {(p) => {
                const voice = p.items.filter((x) => x.service_type === 'voice');
                const chosen = plan || voice[0]?.id || '';
                return (
                  <>
                    <form
                      class="sc-actions"
                      role="search"
                      onSubmit={(e) => {
                        e.preventDefault();
                        setSearch({ area, tier });
                      }}
                    >
                      <Field label={t('voice.area')} name="area" value={area} onInput={setArea} required />
                      <div class="sc-field">
                        <label for="field-tier">{t('voice.tier')}</label>
                        <select id="field-tier" name="tier" value={tier} onChange={(e) => setTier((e.currentTarget as HTMLSelectElement).value)}>
                          <option value="">{t('voice.any_tier')}</option>
                          {o.orderable_tiers.map((x) => (
                            <option key={x} value={x}>
                              {x}
                            </option>
                          ))}
                        </select>
                      </div>
                      <button type="submit" class="sc-button">
                        {t('console.search_button')}
                      </button>
                    </form>
                    <PlanChoice plans={voice} value={chosen} onChange={setPlan} />
                    {notice}
                    {search && (
                      <Loaded load={found}>
                        {(page) =>
                          page.items.length === 0 ? (
                            <Empty text={t('voice.no_numbers')} />
                          ) : (
                            <ul class="sc-card">
                              {page.items.map((n) => (
                                <li key={n.number} class="sc-actions">
                                  <span>
                                    {n.number} <span class="sc-muted">({n.tier})</span>
                                  </span>
                                  <button type="button" class="sc-button" disabled={action.busy} aria-label={`${t('voice.order_number')} ${n.number}`} onClick={() => place({ kind: 'number', number: n.number, plan: chosen }, found.reload)}>
                                    {t('voice.order_number')}
                                  </button>
                                </li>
                              ))}
                            </ul>
                          )
                        }
                      </Loaded>
                    )}
                  </>
                );
              }}
            </Loaded>
          )
        }
      </Loaded>
    </>
  );
}

export function PortIn({ api }: { api: Api }) {
  const offer = useLoad(() => api.get<OrderOffer>('/v1/portal/orders/settings'));
  const plans = useLoad(() => api.get<PageOf<Plan>>('/v1/portal/plans?limit=100'));
  const [form, setForm] = useState({ number: '', losing_carrier: '', carrier_account: '', authorised_by: '', plan: '' });
  const { place, notice, action } = usePlace(api);
  const set = (key: keyof typeof form) => (v: string) => setForm({ ...form, [key]: v });
  return (
    <>
      <h1>{t('voice.port')}</h1>
      <Loaded load={offer}>
        {(o) =>
          !o.kinds.includes('port_in') ? (
            <Empty text={t('voice.ports_off')} />
          ) : (
            <Loaded load={plans}>
              {(p) => {
                const voice = p.items.filter((x) => x.service_type === 'voice');
                const plan = form.plan || voice[0]?.id || '';
                return (
                  <form
                    class="sc-card"
                    onSubmit={(e) => {
                      e.preventDefault();
                      place({ kind: 'port_in', ...form, plan });
                    }}
                  >
                    <p class="sc-muted">{t('voice.port_help')}</p>
                    <Field label={t('voice.port_number')} name="number" value={form.number} onInput={set('number')} required error={fieldError(action.error, '/request/number')} />
                    <Field label={t('voice.losing_carrier')} name="losing_carrier" value={form.losing_carrier} onInput={set('losing_carrier')} required />
                    <Field label={t('voice.carrier_account')} name="carrier_account" value={form.carrier_account} onInput={set('carrier_account')} required />
                    <Field label={t('voice.authorised_by')} name="authorised_by" value={form.authorised_by} onInput={set('authorised_by')} required />
                    <PlanChoice plans={voice} value={plan} onChange={set('plan')} />
                    {notice}
                    <button type="submit" class="sc-button" disabled={action.busy}>
                      {t('voice.port_button')}
                    </button>
                  </form>
                );
              }}
            </Loaded>
          )
        }
      </Loaded>
    </>
  );
}

interface AccessEntry {
  id: string;
  at: string;
  actor_username: string;
  action: string;
  detail: string;
}

export function AccessHistory({ api }: { api: Api }) {
  const entries = useLoad(() => api.get<PageOf<AccessEntry>>('/v1/portal/access-history?limit=50'));
  return (
    <>
      <h1>{t('voice.access_history')}</h1>
      <p class="sc-muted">{t('voice.access_help')}</p>
      <Loaded load={entries}>
        {(page) => (
          <Table
            rows={page.items}
            rowKey={(e) => e.id}
            empty={t('voice.access_none')}
            columns={[
              { label: t('console.audit_when'), cell: (e) => format.date(e.at) },
              { label: t('console.audit_who'), cell: (e) => e.actor_username },
              {
                label: t('console.audit_action'),
                cell: (e) => (
                  <>
                    {e.action} <span class="sc-muted">{e.detail}</span>
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
