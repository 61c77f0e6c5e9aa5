// An order as both sites read it: its state as a badge, what was asked in full, its price
// and its history. Customers and staff see the same facts; staff read states in their own
// words ("Halted: waiting for the customer", not "Needs something from you") and see who
// acted by name.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import type { components } from './api-types';
import * as format from './format';
import { t } from './i18n';

/// The API's own types (generated from its document: infra/api-types.sh).
export type Order = components['schemas']['OrderView'];
export type OrderEvent = components['schemas']['OrderEvent'];
export type MonthlyPrice = components['schemas']['MonthlyPrice'];

export function State({ state, staff }: { state: string; staff?: boolean }) {
  const key = staff && state === 'provisioning_halted' ? 'staff_state.provisioning_halted' : `state.${state}`;
  return <span class={`sc-state sc-state-${state}`}>{t(key as 'state.pending')}</span>;
}

const STATES = ['pending', 'provisioning', 'provisioning_halted', 'completed', 'rejected', 'withdrawn'] as const;

export interface OrderFilter {
  state: string;
  from: string;
  to: string;
}

/// The query string of `filter` (empty parts left out), to put after a list's path.
export function orderQuery(filter: OrderFilter): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) if (value) query.set(name, value);
  return query.toString();
}

/// State and the provider's days an order was placed: the list narrows when applied.
export function OrderFilters({ states, staff, onApply }: { states?: readonly string[]; staff?: boolean; onApply: (filter: OrderFilter) => void }) {
  const [draft, setDraft] = useState<OrderFilter>({ state: '', from: '', to: '' });
  return (
    <form
      class="sc-filters"
      aria-label={t('orders.filters')}
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <label class="sc-field">
        <span>{t('orders.state')}</span>
        <select name="order-state" value={draft.state} onChange={(e) => setDraft({ ...draft, state: (e.target as HTMLSelectElement).value })}>
          <option value="">{t('orders.any_state')}</option>
          {(states ?? STATES).map((state) => (
            <option key={state} value={state}>
              {t((staff && state === 'provisioning_halted' ? 'staff_state.provisioning_halted' : `state.${state}`) as 'state.pending')}
            </option>
          ))}
        </select>
      </label>
      <label class="sc-field">
        <span>{t('orders.placed_from')}</span>
        <input type="date" name="order-from" value={draft.from} onInput={(e) => setDraft({ ...draft, from: (e.target as HTMLInputElement).value })} />
      </label>
      <label class="sc-field">
        <span>{t('orders.placed_to')}</span>
        <input type="date" name="order-to" value={draft.to} onInput={(e) => setDraft({ ...draft, to: (e.target as HTMLInputElement).value })} />
      </label>
      <button type="submit" class="sc-button">
        {t('audit.filter')}
      </button>
    </form>
  );
}

/// A month's price in the currency's own words (`$20.00 a month`).
export function monthly(price: MonthlyPrice): string {
  return t('facts.per_month', { amount: format.money((price.monthly_minor / 100).toFixed(2), price.currency) });
}

type Fact = [label: string, value: string | null | undefined];

/// What the request asks, field by field, for its kind (the summary names plans and
/// bolt-ons; these are the details behind it).
function requestFacts(request: Order['request']): Fact[] {
  switch (request.kind) {
    case 'number':
      return [[t('facts.number'), request.number]];
    case 'port_in':
      return [
        [t('facts.number'), request.number],
        [t('facts.losing_carrier'), request.losing_carrier],
        [t('facts.carrier_account'), request.carrier_account],
        [t('facts.authorised_by'), request.authorised_by],
      ];
    case 'new_service':
      return [
        [t('facts.site_address'), request.site_address],
        [t('facts.notes'), request.notes],
      ];
    case 'emergency_address': {
      const a = request.address;
      const lines = [a.name, a.street, a.location, [a.city, a.region, a.postcode].filter(Boolean).join(' '), a.country].filter(Boolean);
      return [[t('facts.e911'), lines.join(', ')]];
    }
    case 'number_features': {
      const f = request.features;
      return [
        [t('facts.forward_to'), f.forward_to],
        [t('facts.failover_to'), f.failover_to],
        [t('facts.caller_id_name'), f.caller_id_name],
        [t('facts.fax_to_email'), f.fax_to_email],
        [t('facts.conference'), f.conference ? t('facts.yes') : t('facts.no')],
      ];
    }
    default:
      return [];
  }
}

/// The order's facts as a definition list: reference, what was asked, its price, who
/// asked (for staff: the customer and, in a wholesaler's queue, the retailer).
export function OrderFacts({ order, staff }: { order: Order; staff?: boolean }) {
  const facts: Fact[] = [
    [t('facts.reference'), order.reference],
    [t('facts.what'), order.summary],
    ...requestFacts(order.request),
    [t('facts.price'), order.price ? monthly(order.price) : null],
    [t('orders.submitted'), format.date(order.submitted_at)],
  ];
  if (staff) {
    facts.push([t('console.account'), `${order.account.name} (${order.account.number})`]);
    if (order.provider_name) facts.push([t('facts.retailer'), order.provider_name]);
  }
  if (order.provisioning.expected_on) facts.push([t('facts.expected_on'), format.day(order.provisioning.expected_on)]);
  if (order.reason) facts.push([t('orders.reason'), order.reason]);
  return (
    <dl class="sc-facts">
      {facts
        .filter(([, value]) => value)
        .map(([label, value]) => (
          <Fragment key={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </Fragment>
        ))}
    </dl>
  );
}

/// Who did what, oldest first. Customers read staff by role; staff read names.
export function OrderHistory({ order, staff }: { order: Order; staff?: boolean }) {
  const who = (e: OrderEvent) => {
    const role = t(`history.by_${e.actor.kind}` as 'history.by_customer');
    if (!staff || !e.actor.username) return role;
    return e.actor.impersonator ? `${role}: ${e.actor.username} (${t('history.impersonated')})` : `${role}: ${e.actor.username}`;
  };
  return (
    <ol class="sc-history">
      {order.events.map((e, n) => (
        <li key={n}>
          <time dateTime={e.at}>{format.date(e.at)}</time> · {t(`event.${e.event}` as 'event.submitted')} · {who(e)}
          {e.reason && <> · {e.reason}</>}
        </li>
      ))}
    </ol>
  );
}
