// The provider's look, applied before anyone signs in: its name and logo for the frame,
// its brand colour and stylesheet (the brand colour arrives as the sites' custom
// properties). The stylesheet is adopted through the CSSOM, which the sites' content
// security policy (style-src 'self') allows, so no inline style is needed.
import { useEffect, useState } from 'preact/hooks';
import { Api } from './api';
import { setTimeZone } from './format';

export interface Branding {
  provider: string;
  logo_url?: string | null;
  brand_colour?: string | null;
  support_email?: string | null;
  support_phone?: string | null;
  stylesheet_url: string;
  time_zone: string;
}

let adopted: CSSStyleSheet | null = null;

async function applyStylesheet(api: Api, url: string) {
  const css = await api.text(url);
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets.filter((s) => s !== adopted), sheet];
  adopted = sheet;
}

export function useBranding(api: Api): Branding | null {
  const [branding, setBranding] = useState<Branding | null>(null);
  useEffect(() => {
    api.get<Branding>('/v1/branding').then(
      (b) => {
        setTimeZone(b.time_zone);
        setBranding(b);
        applyStylesheet(api, b.stylesheet_url).catch(() => {});
      },
      () => setBranding(null),
    );
  }, []);
  return branding;
}
