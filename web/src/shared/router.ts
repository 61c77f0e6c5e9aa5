// A small history router: the path decides the page; links push history entries.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<() => void>();

export function navigate(path: string) {
  history.pushState(null, '', path + location.search);
  listeners.forEach((l) => l());
}

export function usePath(base: string): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  const inner = path.startsWith(base) ? path.slice(base.length) : path;
  return '/' + inner.replace(/^\/+/, '');
}

/// Follows a same-site link without reloading the page.
export function follow(event: MouseEvent) {
  const anchor = event.currentTarget as HTMLAnchorElement;
  if (event.metaKey || event.ctrlKey || event.shiftKey || anchor.target) return;
  event.preventDefault();
  navigate(anchor.pathname);
}
