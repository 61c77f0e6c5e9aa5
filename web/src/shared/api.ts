// The /v1 API, as any provider's own site would call it: JSON in and out, problems
// (RFC 9457) turned into errors a page can show. The session is a bearer token kept in this
// tab's sessionStorage: the portal, the console and an impersonation each live in their
// own tab on one origin without overwriting each other's session, and it is gone when the
// tab closes.

import { language } from './i18n';

export interface FieldError {
  field: string;
  message: string;
}

export class ApiProblem extends Error {
  constructor(
    public status: number,
    public type: string,
    public title: string,
    public detail: string | undefined,
    public errors: FieldError[],
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

export type Site = 'portal' | 'console';

/// The provider: from the host deployed (`acme.portal.example.com`, the API reads it
/// itself), else from `?tenant=` (the local runtime's links), remembered for the tab.
export function tenantSlug(): string | null {
  const fromQuery = new URLSearchParams(location.search).get('tenant');
  if (fromQuery) {
    sessionStorage.setItem('selfcare.tenant', fromQuery);
    return fromQuery;
  }
  return sessionStorage.getItem('selfcare.tenant');
}

export class Api {
  private key: string;
  onSignedOut: () => void = () => {};

  constructor(site: Site) {
    this.key = `selfcare.${site}.token`;
  }

  get token(): string | null {
    return sessionStorage.getItem(this.key);
  }

  set token(value: string | null) {
    if (value) sessionStorage.setItem(this.key, value);
    else sessionStorage.removeItem(this.key);
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    // Problems come back in the login's language (their titles; see problem_words.rs).
    const all: Record<string, string> = { accept: 'application/json', 'accept-language': language(), ...headers };
    const tenant = tenantSlug();
    if (tenant) all['x-selfcare-tenant'] = tenant;
    if (this.token) all.authorization = `Bearer ${this.token}`;
    if (body !== undefined) all['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: all,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiProblem(0, '/problems/network', 'The service cannot be reached', 'Check your connection and try again.', []);
    }
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (!response.ok) {
      if (response.status === 401 && this.token) {
        this.token = null;
        this.onSignedOut();
      }
      throw new ApiProblem(
        response.status,
        json?.type ?? '/problems/unknown',
        json?.title ?? response.statusText,
        json?.detail,
        json?.errors ?? [],
      );
    }
    return json as T;
  }

  /// A text resource (the provider's stylesheet, a CSV report); empty when refused.
  async text(path: string): Promise<string> {
    const headers: Record<string, string> = {};
    const tenant = tenantSlug();
    if (tenant) headers['x-selfcare-tenant'] = tenant;
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(path, { headers });
    return response.ok ? response.text() : '';
  }

  /// Downloads a file the API makes (a CSV report, an invoice's PDF) as `name`.
  async download(path: string, name: string): Promise<void> {
    const headers: Record<string, string> = {};
    const tenant = tenantSlug();
    if (tenant) headers['x-selfcare-tenant'] = tenant;
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    headers['accept-language'] = language();
    const response = await fetch(path, { headers });
    if (!response.ok) {
      // The API's problem when it sent one (a file too large to make, say), in the login's language.
      const problem = await response.json().catch(() => null);
      throw new ApiProblem(response.status, problem?.type ?? '/problems/unavailable', problem?.title ?? 'The file could not be made', problem?.detail ?? 'Try again in a moment.', problem?.errors ?? []);
    }
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await response.blob());
    link.download = name;
    link.click();
    URL.revokeObjectURL(link.href);
  }

  get<T>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body: unknown = {}, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  put<T>(path: string, body: unknown) {
    return this.request<T>('PUT', path, body);
  }
  delete<T>(path: string) {
    return this.request<T>('DELETE', path);
  }
  patch<T>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, body);
  }
}

export interface PageOf<T> {
  items: T[];
  next_cursor?: string | null;
}

/// A key for a write the user may retry (a double click, a lost answer): the same
/// key answers the same result.
export function idempotencyKey(): string {
  return crypto.randomUUID();
}
