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

/// A decimal amount as the API gives it (`12.34`) in its currency.
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
