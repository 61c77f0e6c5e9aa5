// The console's dashboard: what needs staff today, counted from the same lists the
// console's pages read (so it cannot disagree with them), each linking to its page. A
// staff member sees the counts their permissions reach.
import type { components } from '../shared/api-types';
import { Api, PageOf } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { Order } from '../shared/orders';
import { Link, Loaded, useLoad } from '../shared/ui';

type Ingest = components['schemas']['IngestView'];

/// A list's size as people read it: "100+" when it goes on past the page read.
function counted<T>(page: PageOf<T>, kept: (item: T) => boolean = () => true): string {
  const n = page.items.filter(kept).length;
  return page.next_cursor ? `${format.count(n)}+` : format.count(n);
}

/// Days since `iso`, whole.
function age(iso: string): number {
  return Math.floor((Date.now() - new Date(iso).getTime()) / 86_400_000);
}

function Tile({ title, href, children }: { title: string; href: string; children: preact.ComponentChildren }) {
  return (
    <section class="sc-card sc-tile" aria-label={title}>
      <h2>
        <Link href={href}>{title}</Link>
      </h2>
      {children}
    </section>
  );
}

export function Dashboard({ api, may }: { api: Api; may: (permission: string) => boolean }) {
  const none = <T,>(): Promise<PageOf<T>> => Promise.resolve({ items: [] });
  const pending = useLoad(() => (may('orders_approve') ? api.get<PageOf<Order>>('/v1/console/orders/pending?limit=100') : none<Order>()));
  const queue = useLoad(() => (may('provisioning_manage') ? api.get<PageOf<Order>>('/v1/console/provisioning?limit=100') : none<Order>()));
  const locked = useLoad(() => (may('reports_view') ? api.get<PageOf<unknown>>('/v1/console/reports/locked-out-users?limit=100') : none<unknown>()));
  const mail = useLoad(() => (may('settings_manage') ? api.get<PageOf<unknown>>('/v1/console/mail/failed?limit=100') : none<unknown>()));
  const ingests = useLoad(() => (may('reports_view') ? api.get<PageOf<Ingest>>('/v1/console/usage/ingests?limit=50') : none<Ingest>()));
  return (
    <>
      <h1>{t('nav.dashboard')}</h1>
      <div class="sc-tiles">
        {may('orders_approve') && (
          <Tile title={t('dashboard.pending')} href="/console/">
            <Loaded load={pending}>
              {(page) => (
                <>
                  <p class="sc-figure">{counted(page)}</p>
                  {page.items[0] && <p class="sc-muted">{t('dashboard.oldest', { days: format.count(age(page.items[0].submitted_at)) })}</p>}
                </>
              )}
            </Loaded>
          </Tile>
        )}
        {may('provisioning_manage') && (
          <Tile title={t('dashboard.queue')} href="/console/provisioning">
            <Loaded load={queue}>
              {(page) => (
                <>
                  <p class="sc-figure">{counted(page)}</p>
                  <ul class="sc-plain">
                    <li>{t('dashboard.halted', { count: counted(page, (o) => o.state === 'provisioning_halted') })}</li>
                    {['received', 'submitted', 'confirmed', 'scheduled'].map((stage) => (
                      <li key={stage}>
                        {t(`stage.${stage}` as 'stage.received')}: {counted(page, (o) => o.provisioning.stage === stage)}
                      </li>
                    ))}
                    <li>{t('dashboard.week_old', { count: counted(page, (o) => age(o.decided_at ?? o.submitted_at) >= 7) })}</li>
                  </ul>
                </>
              )}
            </Loaded>
          </Tile>
        )}
        {may('reports_view') && (
          <Tile title={t('dashboard.locked')} href="/console/reports">
            <Loaded load={locked}>{(page) => <p class="sc-figure">{counted(page)}</p>}</Loaded>
          </Tile>
        )}
        {may('settings_manage') && (
          <Tile title={t('dashboard.failed_mail')} href="/console/mail">
            <Loaded load={mail}>{(page) => <p class="sc-figure">{counted(page)}</p>}</Loaded>
          </Tile>
        )}
        {may('reports_view') && (
          <Tile title={t('dashboard.ingests')} href="/console/usage-files">
            <Loaded load={ingests}>
              {(page) => (
                <>
                  <p class="sc-figure">{counted(page, (i) => i.rejected > 0 || i.status === 'failed')}</p>
                  <p class="sc-muted">{t('dashboard.ingests_of', { count: format.count(page.items.length) })}</p>
                </>
              )}
            </Loaded>
          </Tile>
        )}
      </div>
    </>
  );
}
