// The catalogue (plans and bolt-ons) and service groups: pages for what staff did with the
// API alone before. Plans are added with their monthly price and, optionally, one rate;
// bolt-ons with one allowance, in the units people count (minutes, messages, MB).
import { useState } from 'preact/hooks';
import type { components } from '../shared/api-types';
import { Api, idempotencyKey } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { Field, PagedTable, ProblemNote, fieldError, useAction, usePaged } from '../shared/ui';

type Plan = components['schemas']['PlanView'];
type BoltOn = components['schemas']['BoltOnView'];
type Group = components['schemas']['GroupView'];
type Member = components['schemas']['MemberView'];
type ServiceType = components['schemas']['ServiceType'];
type UsageType = components['schemas']['UsageType'];

const SERVICE_TYPES: ServiceType[] = ['voice', 'mobile', 'broadband', 'generic'];
const USAGE_TYPES: UsageType[] = ['call', 'message', 'data'];

/// An amount typed in major units (`20` or `20.50`) in minor units, or -1 (refused by the API).
function minor(text: string): number {
  const n = Math.round(Number(text.replace(',', '.')) * 100);
  return Number.isFinite(n) ? n : -1;
}

/// An allowance typed in minutes, messages or MB, in the API's unit.
function inUnit(usage: UsageType, text: string): number {
  const n = Number(text.replace(',', '.'));
  if (!Number.isFinite(n)) return -1;
  return Math.round(usage === 'call' ? n * 60 : usage === 'data' ? n * 1_000_000 : n);
}

function allowanceWords(a: components['schemas']['Allowance']): string {
  if (a.usage === 'call') return t('catalogue.minutes', { count: format.count(Math.round(a.quantity / 60)) });
  if (a.usage === 'data') return t('catalogue.megabytes', { count: format.count(Math.round(a.quantity / 1_000_000)) });
  return t('catalogue.messages', { count: format.count(a.quantity) });
}

/// Calls, messages or data.
function UsageSelect({ id, value, onChange }: { id: string; value: UsageType; onChange: (usage: UsageType) => void }) {
  return (
    <div class="sc-field">
      <label for={id}>{t('usage.type')}</label>
      <select id={id} value={value} onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value as UsageType)}>
        {USAGE_TYPES.map((u) => (
          <option key={u} value={u}>
            {t(`usage.type_${u}` as 'usage.type_call')}
          </option>
        ))}
      </select>
    </div>
  );
}

function NewPlan({ api, onAdded }: { api: Api; onAdded: () => void }) {
  const empty = { name: '', service_type: 'voice' as ServiceType, currency: 'AUD', monthly: '', usage: 'call' as UsageType, rate: '' };
  const [plan, setPlan] = useState(empty);
  const action = useAction();
  return (
    <form
      class="sc-card"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          const rates = plan.rate.trim() ? [{ usage: plan.usage, price: plan.rate.trim().replace(',', '.') }] : [];
          await api.post('/v1/console/plans', { name: plan.name, service_type: plan.service_type, currency: plan.currency, recurring_minor: minor(plan.monthly), rates }, { 'idempotency-key': idempotencyKey() });
          setPlan(empty);
          onAdded();
        });
      }}
    >
      <h2>{t('catalogue.new_plan')}</h2>
      <Field label={t('catalogue.name')} name="plan-name" value={plan.name} onInput={(v) => setPlan({ ...plan, name: v })} required error={fieldError(action.error, '/name')} />
      <div class="sc-field">
        <label for="plan-type">{t('catalogue.service_type')}</label>
        <select id="plan-type" value={plan.service_type} onChange={(e) => setPlan({ ...plan, service_type: (e.currentTarget as HTMLSelectElement).value as ServiceType })}>
          {SERVICE_TYPES.map((type) => (
            <option key={type} value={type}>
              {t(`catalogue.type_${type}` as 'catalogue.type_voice')}
            </option>
          ))}
        </select>
      </div>
      <Field label={t('catalogue.currency')} name="plan-currency" value={plan.currency} onInput={(v) => setPlan({ ...plan, currency: v.trim().toUpperCase() })} required error={fieldError(action.error, '/currency')} />
      <Field label={t('catalogue.monthly')} name="plan-monthly" inputmode="decimal" value={plan.monthly} onInput={(v) => setPlan({ ...plan, monthly: v })} required error={fieldError(action.error, '/recurring_minor')} />
      <fieldset class="sc-checks">
        <legend>{t('catalogue.rate')}</legend>
        <UsageSelect id="plan-rate-usage" value={plan.usage} onChange={(usage) => setPlan({ ...plan, usage })} />
        <Field label={t('catalogue.rate_price')} name="plan-rate" inputmode="decimal" value={plan.rate} onInput={(v) => setPlan({ ...plan, rate: v })} hint={t('catalogue.rate_hint')} error={fieldError(action.error, '/rates/0/price')} />
      </fieldset>
      {action.error !== null && <ProblemNote error={action.error} />}
      <button type="submit" class="sc-button" disabled={action.busy}>
        {t('catalogue.add_plan')}
      </button>
    </form>
  );
}

function NewBoltOn({ api, plans, onAdded }: { api: Api; plans: Plan[]; onAdded: () => void }) {
  const empty = { name: '', currency: 'AUD', price: '', term: '0', usage: 'call' as UsageType, quantity: '', plans: [] as string[] };
  const [offer, setOffer] = useState(empty);
  const action = useAction();
  return (
    <form
      class="sc-card"
      onSubmit={(e) => {
        e.preventDefault();
        action.run(async () => {
          await api.post(
            '/v1/console/bolt-ons',
            {
              name: offer.name,
              currency: offer.currency,
              price_minor: minor(offer.price),
              term_months: Number(offer.term) || 0,
              allowances: offer.quantity.trim() ? [{ usage: offer.usage, quantity: inUnit(offer.usage, offer.quantity) }] : [],
              plans: offer.plans,
            },
            { 'idempotency-key': idempotencyKey() },
          );
          setOffer(empty);
          onAdded();
        });
      }}
    >
      <h2>{t('catalogue.new_bolt_on')}</h2>
      <Field label={t('catalogue.name')} name="bolt-on-name" value={offer.name} onInput={(v) => setOffer({ ...offer, name: v })} required error={fieldError(action.error, '/name')} />
      <Field label={t('catalogue.currency')} name="bolt-on-currency" value={offer.currency} onInput={(v) => setOffer({ ...offer, currency: v.trim().toUpperCase() })} required error={fieldError(action.error, '/currency')} />
      <Field label={t('catalogue.monthly')} name="bolt-on-price" inputmode="decimal" value={offer.price} onInput={(v) => setOffer({ ...offer, price: v })} required error={fieldError(action.error, '/price_minor')} />
      <Field label={t('catalogue.term')} name="bolt-on-term" inputmode="numeric" value={offer.term} onInput={(v) => setOffer({ ...offer, term: v })} error={fieldError(action.error, '/term_months')} />
      <fieldset class="sc-checks">
        <legend>{t('catalogue.allowance')}</legend>
        <UsageSelect id="bolt-on-usage" value={offer.usage} onChange={(usage) => setOffer({ ...offer, usage })} />
        <Field label={t(`catalogue.quantity_${offer.usage}` as 'catalogue.quantity_call')} name="bolt-on-quantity" inputmode="decimal" value={offer.quantity} onInput={(v) => setOffer({ ...offer, quantity: v })} error={fieldError(action.error, '/allowances/0/quantity')} />
      </fieldset>
      <fieldset class="sc-checks">
        <legend>{t('catalogue.on_plans')}</legend>
        {plans.map((p) => (
          <label key={p.id}>
            <input
              type="checkbox"
              checked={offer.plans.includes(p.id)}
              onChange={(e) => setOffer({ ...offer, plans: (e.currentTarget as HTMLInputElement).checked ? [...offer.plans, p.id] : offer.plans.filter((id) => id !== p.id) })}
            />{' '}
            {p.name}
          </label>
        ))}
      </fieldset>
      {fieldError(action.error, '/plans') && <p class="sc-field-error">{fieldError(action.error, '/plans')}</p>}
      {action.error !== null && <ProblemNote error={action.error} />}
      <button type="submit" class="sc-button" disabled={action.busy}>
        {t('catalogue.add_bolt_on')}
      </button>
    </form>
  );
}

export function CataloguePage({ api, mayEdit }: { api: Api; mayEdit: boolean }) {
  const plans = usePaged<Plan>(api, '/v1/console/plans', 100);
  const boltOns = usePaged<BoltOn>(api, '/v1/console/bolt-ons', 100);
  const names = new Map(plans.items.map((p) => [p.id, p.name]));
  return (
    <>
      <h1>{t('nav.catalogue')}</h1>
      <h2>{t('catalogue.plans')}</h2>
      <PagedTable
        paged={plans}
        rowKey={(p) => p.id}
        empty={t('catalogue.no_plans')}
        columns={[
          { label: t('catalogue.name'), cell: (p) => p.name, sort: (p) => p.name },
          { label: t('catalogue.service_type'), cell: (p) => t(`catalogue.type_${p.service_type}` as 'catalogue.type_voice'), sort: (p) => p.service_type },
          { label: t('catalogue.monthly'), cell: (p) => format.money(p.recurring_minor / 100, p.currency), sort: (p) => p.recurring_minor },
          { label: t('catalogue.rates'), cell: (p) => p.rates.map((r) => `${t(`usage.type_${r.usage}` as 'usage.type_call')}${r.prefix ? ` ${r.prefix}…` : ''}: ${r.price}`).join('; ') || '—' },
        ]}
      />
      {mayEdit && <NewPlan api={api} onAdded={plans.reload} />}
      <h2>{t('catalogue.bolt_ons')}</h2>
      <PagedTable
        paged={boltOns}
        rowKey={(b) => b.id}
        empty={t('catalogue.no_bolt_ons')}
        columns={[
          { label: t('catalogue.name'), cell: (b) => b.name, sort: (b) => b.name },
          { label: t('catalogue.monthly'), cell: (b) => format.money(b.price_minor / 100, b.currency), sort: (b) => b.price_minor },
          { label: t('catalogue.allowance'), cell: (b) => b.allowances.map(allowanceWords).join(', ') || '—' },
          { label: t('catalogue.term'), cell: (b) => format.count(b.term_months) },
          { label: t('catalogue.on_plans'), cell: (b) => b.plans.map((id) => names.get(id) ?? id).join(', ') },
        ]}
      />
      {mayEdit && <NewBoltOn api={api} plans={plans.items} onAdded={boltOns.reload} />}
    </>
  );
}

/// Service groups (a reseller's, a region's): their services, and new groups.
export function ServiceGroupsPage({ api, mayEdit }: { api: Api; mayEdit: boolean }) {
  const groups = usePaged<Group>(api, '/v1/console/service-groups', 50);
  const [open, setOpen] = useState<Group | null>(null);
  const [draft, setDraft] = useState({ name: '', kind: '' });
  const action = useAction();
  return (
    <>
      <h1>{t('nav.service_groups')}</h1>
      <PagedTable
        paged={groups}
        rowKey={(g) => g.id}
        empty={t('groups.none')}
        columns={[
          { label: t('catalogue.name'), cell: (g) => g.name, sort: (g) => g.name },
          { label: t('groups.kind'), cell: (g) => g.kind, sort: (g) => g.kind },
          { label: t('groups.since'), cell: (g) => format.date(g.created_at), sort: (g) => g.created_at },
          {
            label: t('groups.services'),
            cell: (g) => (
              <button type="button" class="sc-button sc-button-quiet" aria-expanded={open?.id === g.id} onClick={() => setOpen(open?.id === g.id ? null : g)}>
                {t('groups.show', { name: g.name })}
              </button>
            ),
          },
        ]}
      />
      {open && <Members api={api} group={open} />}
      {mayEdit && (
        <form
          class="sc-card"
          onSubmit={(e) => {
            e.preventDefault();
            action.run(async () => {
              await api.post('/v1/console/service-groups', draft);
              setDraft({ name: '', kind: '' });
              groups.reload();
            });
          }}
        >
          <h2>{t('groups.new')}</h2>
          <Field label={t('catalogue.name')} name="group-name" value={draft.name} onInput={(v) => setDraft({ ...draft, name: v })} required error={fieldError(action.error, '/name')} />
          <Field label={t('groups.kind')} name="group-kind" value={draft.kind} onInput={(v) => setDraft({ ...draft, kind: v })} required hint={t('groups.kind_hint')} error={fieldError(action.error, '/kind')} />
          {action.error !== null && <ProblemNote error={action.error} />}
          <button type="submit" class="sc-button" disabled={action.busy}>
            {t('groups.add')}
          </button>
        </form>
      )}
    </>
  );
}

function Members({ api, group }: { api: Api; group: Group }) {
  const members = usePaged<Member>(api, `/v1/console/service-groups/${encodeURIComponent(group.id)}/members`, 50);
  return (
    <section aria-labelledby="group-members">
      <h2 id="group-members">{t('groups.members_of', { name: group.name })}</h2>
      <PagedTable
        paged={members}
        rowKey={(m) => m.service}
        empty={t('groups.no_members')}
        columns={[
          { label: t('services.identifier'), cell: (m) => m.identifier, sort: (m) => m.identifier },
          { label: t('groups.added'), cell: (m) => format.date(m.added_at), sort: (m) => m.added_at },
        ]}
      />
    </section>
  );
}
