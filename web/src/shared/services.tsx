// A service as both sites list it: its number or circuit, plan, monthly price and state.
import type { components } from './api-types';
import * as format from './format';
import { statusWords, t } from './i18n';
import { monthly } from './orders';
import { Link, Table } from './ui';

/// The API's own type (generated from its document: infra/api-types.sh).
export type Service = components['schemas']['ServiceView'];

export function ServiceTable({ services, href }: { services: Service[]; href?: (s: Service) => string }) {
  return (
    <Table
      rows={services}
      rowKey={(s) => s.id}
      empty={t('services.none')}
      columns={[
        { label: t('services.identifier'), cell: (s) => (href ? <Link href={href(s)}>{s.identifier_shown}</Link> : s.identifier_shown) },
        { label: t('services.plan'), cell: (s) => s.plan_name ?? '—', sort: (s) => s.plan_name ?? '' },
        { label: t('facts.price'), cell: (s) => (s.price ? monthly(s.price) : '—'), sort: (s) => s.price?.monthly_minor ?? 0 },
        { label: t('services.status'), cell: (s) => statusWords(s.status), sort: (s) => statusWords(s.status) },
        { label: t('services.since'), cell: (s) => format.date(s.started_at), sort: (s) => s.started_at },
      ]}
    />
  );
}
