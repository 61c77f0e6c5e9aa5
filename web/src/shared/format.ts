// Dates and money in the signed-in login's language; times on the provider's clock (its
// time zone, from its branding), never the browser's or UTC.
let locale = 'en';
let timeZone = 'UTC';

export function setLocale(language: string) {
  locale = language === 'fr' ? 'fr-FR' : 'en-AU';
}

export function setTimeZone(zone: string | undefined) {
  if (zone) timeZone = zone;
}

/// An instant (RFC 3339) as the provider's clock reads it.
export function date(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(new Date(iso));
}

/// A calendar date the API already cut in the provider's time zone (`2026-11-03`): shown
/// as it is, whatever the browser's zone.
export function day(iso: string): string {
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(iso + 'T00:00:00Z'));
}

/// Today on the provider's calendar (`2026-12-02`), `days` later (or earlier, negative).
export function today(days = 0): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const date = new Date(parts + 'T00:00:00Z');
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/// The provider's last calendar month: its first and last days.
export function lastMonth(): { from: string; to: string } {
  const now = new Date(today() + 'T00:00:00Z');
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  return { from: first.toISOString().slice(0, 10), to: last.toISOString().slice(0, 10) };
}

/// A decimal amount as the API gives it (`12.34`) in its currency.
/// A month's name in the login's language (`December 2026`), from `2026-12`.
export function month(period: string): string {
  return new Intl.DateTimeFormat(locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${period}-01T00:00:00Z`));
}

export function money(amount: string | number, currency: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(Number(amount));
}

/// A decimal amount without its currency (the month views carry none), two places.
export function amount(decimal: string | number): string {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(decimal));
}

/// A whole number in the login's language (1,234 or 1 234).
export function count(n: number): string {
  return new Intl.NumberFormat(locale).format(n);
}
