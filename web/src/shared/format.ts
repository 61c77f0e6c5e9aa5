// Dates and money in the signed-in login's language.
let locale = 'en';

export function setLocale(language: string) {
  locale = language === 'fr' ? 'fr-FR' : 'en-AU';
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export function day(iso: string): string {
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short' }).format(new Date(iso + 'T00:00:00Z'));
}

/// A decimal amount as the API gives it (`12.34`) in its currency.
export function money(amount: string | number, currency: string): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(Number(amount));
}

/// A decimal amount without its currency (the month views carry none), two places.
export function amount(decimal: string | number): string {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(Number(decimal));
}
