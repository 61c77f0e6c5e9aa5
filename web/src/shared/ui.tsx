// The pieces every page is built of. Class names start with `sc-` and are documented in
// styles.css, so a provider's stylesheet can restyle them.
import type { ComponentChildren } from 'preact';
import { useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { type Api, ApiProblem, type PageOf } from './api';
import { t } from './i18n';
import { follow, usePath } from './router';

export function Loading() {
  return (
    <p class="sc-loading" role="status">
      {t('app.loading')}
    </p>
  );
}

export function Empty({ text }: { text: string }) {
  return <p class="sc-empty">{text}</p>;
}

/// A problem as the person should read it: the title, what to do, and the fields at fault.
/// A field's message that its field already shows beside it is a link to that field here,
/// not a second copy of the words to hunt for.
export function ProblemNote({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const problem = error instanceof ApiProblem ? error : null;
  const [shownAt, setShownAt] = useState<Record<string, string>>({});
  useEffect(() => {
    // The fields draw their messages in the same pass: look for them once drawn.
    const found: Record<string, string> = {};
    document.querySelectorAll<HTMLElement>('.sc-field-error').forEach((note) => {
      const input = note.id.replace(/-error$/, '');
      const match = problem?.errors.find((e) => e.message === note.textContent);
      if (match && document.getElementById(input)) found[match.field] = input;
    });
    setShownAt(found);
  }, [problem]);
  return (
    <div class="sc-problem" role="alert">
      <p class="sc-problem-title">{problem?.title ?? t('app.error')}</p>
      {problem?.detail && <p>{problem.detail}</p>}
      {problem && problem.errors.length > 0 && (
        <ul>
          {problem.errors.map((e) => (
            <li key={e.field}>
              {shownAt[e.field] ? (
                <a
                  href={`#${shownAt[e.field]}`}
                  onClick={(event) => {
                    event.preventDefault();
                    document.getElementById(shownAt[e.field])?.focus();
                  }}
                >
                  {e.message}
                </a>
              ) : (
                e.message
              )}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" class="sc-button" onClick={onRetry}>
          {t('app.retry')}
        </button>
      )}
    </div>
  );
}

/// Loads something for a page: its value, its error, and a way to load it again.
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []) {
  const [state, setState] = useState<{ value?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (value) => live && setState({ value, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}

/// Shows a loaded value, or its loading and error states.
export function Loaded<T>({ load, children }: { load: ReturnType<typeof useLoad<T>>; children: (value: T) => ComponentChildren }) {
  if (load.error) return <ProblemNote error={load.error} onRetry={load.reload} />;
  if (load.loading && load.value === undefined) return <Loading />;
  return <>{load.value !== undefined && children(load.value)}</>;
}

export function Field(props: {
  label: string;
  name: string;
  type?: 'text' | 'password' | 'email' | 'search' | 'date';
  value: string;
  onInput: (value: string) => void;
  autocomplete?: string;
  required?: boolean;
  error?: string;
  inputmode?: 'numeric' | 'decimal' | 'text';
  /// The id of a datalist of suggestions.
  list?: string;
  /// A sentence under the field saying what it does.
  hint?: string;
}) {
  const id = `field-${props.name}`;
  const described = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="sc-field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        // One input for every kind; Preact's types split inputs by `type`.
        type={(props.type ?? 'text') as 'text'}
        value={props.value}
        autocomplete={props.autocomplete}
        required={props.required}
        inputMode={props.inputmode}
        list={props.list}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={described || undefined}
        onInput={(e) => props.onInput((e.currentTarget as HTMLInputElement).value)}
      />
      {props.hint && (
        <p id={`${id}-hint`} class="sc-hint">
          {props.hint}
        </p>
      )}
      {props.error && (
        <p id={`${id}-error`} class="sc-field-error">
          {props.error}
        </p>
      )}
    </div>
  );
}

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  /// What the column sorts by; a column without it does not sort.
  sort?: (row: T) => string | number;
}

/// A list as a table (on a phone each row stacks, each cell labelled), or its empty text.
/// Columns that say how sort the rows shown when their heading is pressed (again: the
/// other way); the heading tells assistive technology the order (`aria-sort`).
export function Table<T>({ rows, columns, empty, rowKey, onSort }: { rows: T[]; columns: Column<T>[]; empty: string; rowKey: (row: T) => string; onSort?: () => void }) {
  const [order, setOrder] = useState<{ label: string; ascending: boolean } | null>(null);
  if (rows.length === 0) return <Empty text={empty} />;
  const by = order && columns.find((c) => c.label === order.label)?.sort;
  const shown = by
    ? [...rows].sort((a, b) => {
        const [x, y] = [by(a), by(b)];
        const compared = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return order.ascending ? compared : -compared;
      })
    : rows;
  return (
    <table class="sc-table">
      <thead>
        <tr>
          {columns.map((c) => {
            const current = order?.label === c.label;
            return (
              <th scope="col" key={c.label} aria-sort={current ? (order.ascending ? 'ascending' : 'descending') : c.sort ? 'none' : undefined}>
                {c.sort ? (
                  <button
                    type="button"
                    class="sc-sort"
                    onClick={() => {
                      setOrder({ label: c.label, ascending: current ? !order.ascending : true });
                      onSort?.();
                    }}
                  >
                    {c.label}
                    <span aria-hidden="true">{current ? (order.ascending ? ' ▲' : ' ▼') : ' ↕'}</span>
                  </button>
                ) : (
                  c.label
                )}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {shown.map((row) => (
          <tr key={rowKey(row)}>
            {columns.map((c) => (
              <td key={c.label} data-label={c.label}>
                {c.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/// A list the API pages: its first page at `path`, then the next ones from their cursors
/// ("Show more"). A new path (a filter changed) starts again from its first page.
/// The most rows, and requests, a list spends loading itself to sort whole.
const SORT_ROWS = 1000;
const SORT_REQUESTS = 10;

export function usePaged<T, P extends PageOf<T> = PageOf<T>>(api: Api, path: string, limit = 25) {
  const url = (cursor?: string | null, size = limit) => `${path}${path.includes('?') ? '&' : '?'}limit=${size}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  const load = useLoad(() => api.get<P>(url()), [path]);
  // The pages fetched after the first, and the cursor the last of them gave (a filtered
  // page may be empty and still carry one: the next page follows from it, not from the
  // first page's).
  const [more, setMore] = useState<{ path: string; round: number; items: T[]; fetched: boolean; next?: string | null }>({ path, round: 0, items: [], fetched: false });
  const [round, setRound] = useState(0);
  const extra = more.path === path && more.round === round ? more : { path, round, items: [] as T[], fetched: false, next: undefined };
  const action = useAction();
  const items = load.value ? [...load.value.items, ...extra.items] : [];
  const next = extra.fetched ? extra.next : load.value?.next_cursor;
  return {
    load,
    items,
    next,
    action,
    fetchMore: () =>
      next &&
      action.run(async () => {
        const page = await api.get<P>(url(next));
        setMore({ path, round, items: [...extra.items, ...page.items], fetched: true, next: page.next_cursor });
      }),
    /// Every remaining page, up to SORT_ROWS rows in all: sorting by a heading sorts the
    /// whole list, not the rows loaded so far.
    fetchAll: () =>
      next &&
      action.run(async () => {
        let items = extra.items;
        let cursor: string | null | undefined = next;
        // A narrowed list can answer short or empty pages that still carry a cursor:
        // a bounded number of requests, whatever they hold.
        for (let asked = 0; cursor && asked < SORT_REQUESTS && (load.value?.items.length ?? 0) + items.length < SORT_ROWS; asked++) {
          const page: P = await api.get<P>(url(cursor, 100));
          items = [...items, ...page.items];
          cursor = page.next_cursor;
        }
        setMore({ path, round, items, fetched: true, next: cursor });
      }),
    reload: () => {
      setRound((r) => r + 1);
      load.reload();
    },
  };
}

/// "Show more" under a paged list, and what went wrong fetching it.
export function MoreButton({ paged }: { paged: ReturnType<typeof usePaged<unknown>> }) {
  return (
    <>
      {paged.next && (
        <button type="button" class="sc-button sc-button-quiet sc-more" disabled={paged.action.busy} onClick={paged.fetchMore}>
          {t('app.more')}
        </button>
      )}
      {paged.action.error !== null && <ProblemNote error={paged.action.error} />}
    </>
  );
}

/// A paged list as a table, with its loading, error and empty states and "Show more".
export function PagedTable<T>({ paged, columns, empty, rowKey }: { paged: ReturnType<typeof usePaged<T>>; columns: Column<T>[]; empty: string; rowKey: (row: T) => string }) {
  const [sorted, setSorted] = useState(false);
  return (
    <Loaded load={paged.load}>
      {() => (
        <>
          <Table
            rows={paged.items}
            columns={columns}
            empty={empty}
            rowKey={rowKey}
            onSort={() => {
              setSorted(true);
              paged.fetchAll();
            }}
          />
          {sorted && paged.next && !paged.action.busy && <p class="sc-muted">{t('app.sorted_loaded', { count: paged.items.length })}</p>}
          <MoreButton paged={paged} />
        </>
      )}
    </Loaded>
  );
}

/// The message of a field of a problem, if the problem names it.
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiProblem ? error.errors.find((e) => e.field === field)?.message : undefined;
}

export function Link({ href, children, current }: { href: string; children: ComponentChildren; current?: boolean }) {
  return (
    <a href={href + location.search} onClick={follow} aria-current={current ? 'page' : undefined}>
      {children}
    </a>
  );
}

/// A page that failed while drawing says so inside the frame (the menu, the brand and
/// sign-out stay), with a way to try again.
function Boundary({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary();
  if (error) return <ProblemNote error={error} onRetry={reset} />;
  return <>{children}</>;
}

/// A path that is no page of the site: said as a page, inside the frame.
export function NotFound({ home }: { home: string }) {
  return (
    <section class="sc-card" aria-labelledby="not-found-heading">
      <h1 id="not-found-heading">{t('app.not_found')}</h1>
      <p>{t('app.not_found_help')}</p>
      <Link href={home}>{t('app.go_home')}</Link>
    </section>
  );
}

/// A page's frame: the brand, the menu, the content.
export function Frame(props: {
  brand: string;
  logo?: string | null;
  nav: { href: string; label: string; current: boolean }[];
  onSignOut?: () => void;
  banner?: ComponentChildren;
  contact?: { support_email?: string | null; support_phone?: string | null } | null;
  /// The signed-in login's language and how to change it (absent: no switch shown).
  language?: { current: string; choose: (language: string) => void };
  /// Use the screen's width (the console's tables), not a reading column.
  wide?: boolean;
  children: ComponentChildren;
}) {
  const path = usePath('/');
  const [menuOpen, setMenuOpen] = useState(false);
  usePageHeading(path, props.brand);
  useEffect(() => setMenuOpen(false), [path]);
  return (
    <div class="sc-app">
      <a class="sc-skip" href="#main">
        {t('app.skip')}
      </a>
      {props.banner}
      <header class="sc-header">
        <span class="sc-brand">
          {props.logo && <img class="sc-logo" src={props.logo} alt="" />}
          <span class="sc-brand-name">{props.brand}</span>
        </span>
        {props.nav.length > 0 && (
          <button type="button" class="sc-button sc-button-quiet sc-menu-button" aria-expanded={menuOpen} aria-controls="sc-nav" onClick={() => setMenuOpen(!menuOpen)}>
            {t('app.menu')}
          </button>
        )}
        {props.nav.length > 0 && (
          <nav id="sc-nav" class="sc-nav" data-open={menuOpen} aria-label={t('app.main_menu')}>
            <ul>
              {props.nav.map((n) => (
                <li key={n.href}>
                  <Link href={n.href} current={n.current}>
                    {n.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {props.language && (
          <span class="sc-language">
            <label for="sc-language">{t('app.language')}</label>{' '}
            <select id="sc-language" value={props.language.current} onChange={(e) => props.language?.choose((e.currentTarget as HTMLSelectElement).value)}>
              <option value="en">English</option>
              <option value="fr">Français</option>
            </select>
          </span>
        )}
        {props.onSignOut && (
          <button type="button" class="sc-button sc-button-quiet" onClick={props.onSignOut}>
            {t('auth.sign_out')}
          </button>
        )}
      </header>
      <main id="main" class={props.wide ? 'sc-main sc-main-wide' : 'sc-main'} tabIndex={-1}>
        <Boundary>{props.children}</Boundary>
      </main>
      {(props.contact?.support_email || props.contact?.support_phone) && (
        <footer class="sc-footer">
          {props.brand}
          {props.contact.support_email && (
            <>
              {' · '}
              <a href={`mailto:${props.contact.support_email}`}>{props.contact.support_email}</a>
            </>
          )}
          {props.contact.support_phone && <> · {props.contact.support_phone}</>}
        </footer>
      )}
    </div>
  );
}

/// Each page's title is its heading and the site's name; after a navigation, focus moves to
/// the new page's heading (a screen reader reads where it landed). Pages draw their heading
/// once their data is in, so the heading is watched for, not read once.
function usePageHeading(path: string, site: string) {
  const [first] = useState(path);
  useEffect(() => {
    const main = document.getElementById('main');
    if (!main) return;
    let focused = path === first;
    const settle = () => {
      const heading = main.querySelector('h1');
      document.title = heading?.textContent ? `${heading.textContent} · ${site}` : site;
      if (heading && !focused) {
        focused = true;
        heading.setAttribute('tabindex', '-1');
        heading.focus();
      }
    };
    settle();
    const watcher = new MutationObserver(settle);
    watcher.observe(main, { childList: true, subtree: true, characterData: true });
    return () => watcher.disconnect();
  }, [path, site]);
}

/// A button that does something that can fail, showing the failure beside it.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}
