// The provider's settings pages: branding (colour, logo, contacts, stylesheet, framing)
// and order settings. Each reads the current settings, edits a copy, and saves it whole.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Api } from '../shared/api';
import { t } from '../shared/i18n';
import { Field, Loading, ProblemNote, fieldError, useAction } from '../shared/ui';

function Check({ label, checked, onChange, name }: { label: string; checked: boolean; onChange: (v: boolean) => void; name: string }) {
  return (
    <label>
      <input type="checkbox" name={name} checked={checked} onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} /> {label}
    </label>
  );
}

function TextArea({ label, name, value, onInput, error }: { label: string; name: string; value: string; onInput: (v: string) => void; error?: string }) {
  const id = `field-${name}`;
  return (
    <div class="sc-field">
      <label for={id}>{label}</label>
      <textarea id={id} name={name} value={value} aria-invalid={error ? 'true' : undefined} onInput={(e) => onInput((e.currentTarget as HTMLTextAreaElement).value)} />
      {error && <p class="sc-field-error">{error}</p>}
    </div>
  );
}

function Group({ legend, children }: { legend: string; children: ComponentChildren }) {
  return (
    <fieldset class="sc-checks">
      <legend>{legend}</legend>
      {children}
    </fieldset>
  );
}

/// Loads a settings object for editing; `save` writes it back.
function useSettings<T>(load: () => Promise<T>) {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    load().then(setValue, setError);
  }, []);
  return { value, setValue, error };
}

interface BrandingForm {
  brand_colour: string;
  css: string;
  frame_ancestors: string;
  api_origins: string;
  logo_url: string;
  support_email: string;
  support_phone: string;
}

type AccessSettings = Record<string, unknown> & { logo_url?: string | null; support_email?: string | null; support_phone?: string | null };

export function BrandingPage({ api }: { api: Api }) {
  const [access, setAccess] = useState<AccessSettings | null>(null);
  const form = useSettings<BrandingForm>(async () => {
    const [look, settings] = await Promise.all([
      api.get<{ brand_colour?: string | null; css?: string | null; frame_ancestors: string[]; api_origins: string[] }>('/v1/console/branding'),
      api.get<AccessSettings>('/v1/console/settings/access'),
    ]);
    setAccess(settings);
    return {
      brand_colour: look.brand_colour ?? '',
      css: look.css ?? '',
      frame_ancestors: look.frame_ancestors.join('\n'),
      api_origins: look.api_origins.join('\n'),
      logo_url: settings.logo_url ?? '',
      support_email: settings.support_email ?? '',
      support_phone: settings.support_phone ?? '',
    };
  });
  const [saved, setSaved] = useState(false);
  const action = useAction();
  if (form.error) return <ProblemNote error={form.error} />;
  if (!form.value || !access) return <Loading />;
  const f = form.value;
  const set = (key: keyof BrandingForm) => (v: string) => {
    setSaved(false);
    form.setValue({ ...f, [key]: v });
  };
  const orNull = (v: string) => (v.trim() ? v.trim() : null);
  const save = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      await api.put('/v1/console/branding', {
        brand_colour: orNull(f.brand_colour),
        css: orNull(f.css),
        frame_ancestors: f.frame_ancestors.split('\n').map((s) => s.trim()).filter(Boolean),
        api_origins: f.api_origins.split('\n').map((s) => s.trim()).filter(Boolean),
      });
      await api.put('/v1/console/settings/access', {
        ...access,
        logo_url: orNull(f.logo_url),
        support_email: orNull(f.support_email),
        support_phone: orNull(f.support_phone),
      });
      setSaved(true);
    });
  };
  return (
    <>
      <h1>{t('nav.branding')}</h1>
      <form class="sc-card" onSubmit={save}>
        <Field label={t('branding.colour')} name="brand_colour" value={f.brand_colour} onInput={set('brand_colour')} error={fieldError(action.error, '/brand_colour')} />
        <Field label={t('branding.logo')} name="logo_url" value={f.logo_url} onInput={set('logo_url')} error={fieldError(action.error, '/logo_url')} />
        <Field label={t('branding.support_email')} name="support_email" type="email" value={f.support_email} onInput={set('support_email')} />
        <Field label={t('branding.support_phone')} name="support_phone" value={f.support_phone} onInput={set('support_phone')} />
        <TextArea label={t('branding.css')} name="css" value={f.css} onInput={set('css')} error={fieldError(action.error, '/css')} />
        <TextArea label={t('branding.frames')} name="frame_ancestors" value={f.frame_ancestors} onInput={set('frame_ancestors')} />
        <TextArea label={t('branding.api_origins')} name="api_origins" value={f.api_origins} onInput={set('api_origins')} />
        <p class="sc-muted">{t('branding.api_origins_note')}</p>
        {action.error !== null && <ProblemNote error={action.error} />}
        {saved && (
          <p class="sc-notice" role="status">
            {t('branding.saved')}
          </p>
        )}
        <button type="submit" class="sc-button" disabled={action.busy}>
          {t('app.save')}
        </button>
      </form>
    </>
  );
}

interface OrderSettings {
  number_ordering: boolean;
  orderable_tiers: string[];
  editable_features: string[];
  emergency_addresses: boolean;
  emergency_address_countries: string[];
  port_ins: boolean;
  new_services: boolean;
  auto_approve: {
    call_forwarding: boolean;
    failover: boolean;
    emergency_address: boolean;
    bolt_ons_up_to_minor: number | null;
    bolt_on_cancellations: boolean;
  };
  wholesaler_provisions: string[];
  alert_email: string | null;
}

const FEATURES = ['call_forwarding', 'failover', 'caller_id_name', 'fax_to_email', 'conference'] as const;

export function OrderSettingsPage({ api }: { api: Api }) {
  const form = useSettings(() => api.get<OrderSettings>('/v1/console/settings/orders'));
  const [tiers, setTiers] = useState<string | null>(null);
  const [countries, setCountries] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const action = useAction();
  if (form.error) return <ProblemNote error={form.error} />;
  if (!form.value) return <Loading />;
  const s = form.value;
  const update = (next: Partial<OrderSettings>) => {
    setSaved(false);
    form.setValue({ ...s, ...next });
  };
  const auto = (next: Partial<OrderSettings['auto_approve']>) => update({ auto_approve: { ...s.auto_approve, ...next } });
  const save = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const list = (text: string) => text.split(',').map((x) => x.trim()).filter(Boolean);
      const orderable_tiers = list(tiers ?? s.orderable_tiers.join(', '));
      const emergency_address_countries = list(countries ?? s.emergency_address_countries.join(', ')).map((x) => x.toUpperCase());
      form.setValue(await api.put<OrderSettings>('/v1/console/settings/orders', { ...s, orderable_tiers, emergency_address_countries }));
      setSaved(true);
    });
  };
  return (
    <>
      <h1>{t('nav.order_settings')}</h1>
      <form class="sc-card" onSubmit={save}>
        <Group legend={t('nav.orders')}>
          <Check name="number_ordering" label={t('settings.number_ordering')} checked={s.number_ordering} onChange={(v) => update({ number_ordering: v })} />
          <Check name="emergency_addresses" label={t('settings.emergency')} checked={s.emergency_addresses} onChange={(v) => update({ emergency_addresses: v })} />
          <Check name="port_ins" label={t('settings.port_ins')} checked={s.port_ins} onChange={(v) => update({ port_ins: v })} />
          <Check name="new_services" label={t('settings.new_services')} checked={s.new_services} onChange={(v) => update({ new_services: v })} />
        </Group>
        <Field label={t('settings.tiers')} name="orderable_tiers" value={tiers ?? s.orderable_tiers.join(', ')} onInput={setTiers} error={fieldError(action.error, '/orderable_tiers')} />
        <Field
          label={t('settings.emergency_countries')}
          name="emergency_address_countries"
          hint={t('settings.emergency_countries_hint')}
          value={countries ?? s.emergency_address_countries.join(', ')}
          onInput={(v) => {
            setSaved(false);
            setCountries(v);
          }}
          error={fieldError(action.error, '/emergency_address_countries')}
        />
        <Group legend={t('settings.features')}>
          {FEATURES.map((feature) => (
            <Check
              key={feature}
              name={`feature-${feature}`}
              label={t(`feature.${feature}`)}
              checked={s.editable_features.includes(feature)}
              onChange={(v) => update({ editable_features: v ? [...s.editable_features, feature] : s.editable_features.filter((x) => x !== feature) })}
            />
          ))}
        </Group>
        <Group legend={t('settings.auto')}>
          <Check name="auto-forwarding" label={t('settings.auto_forwarding')} checked={s.auto_approve.call_forwarding} onChange={(v) => auto({ call_forwarding: v })} />
          <Check name="auto-failover" label={t('settings.auto_failover')} checked={s.auto_approve.failover} onChange={(v) => auto({ failover: v })} />
          <Check name="auto-emergency" label={t('settings.auto_emergency')} checked={s.auto_approve.emergency_address} onChange={(v) => auto({ emergency_address: v })} />
          <Check name="auto-cancellations" label={t('settings.auto_cancellations')} checked={s.auto_approve.bolt_on_cancellations} onChange={(v) => auto({ bolt_on_cancellations: v })} />
          <Field
            label={t('settings.auto_bolt_ons')}
            name="bolt_ons_up_to_minor"
            inputmode="numeric"
            value={s.auto_approve.bolt_ons_up_to_minor === null ? '' : String(s.auto_approve.bolt_ons_up_to_minor)}
            onInput={(v) => auto({ bolt_ons_up_to_minor: v.trim() === '' || Number.isNaN(Number(v)) ? null : Number(v) })}
            error={fieldError(action.error, '/auto_approve/bolt_ons_up_to_minor')}
          />
        </Group>
        <Field label={t('settings.alert_email')} name="alert_email" type="email" value={s.alert_email ?? ''} onInput={(v) => update({ alert_email: v.trim() ? v : null })} error={fieldError(action.error, '/alert_email')} />
        {action.error !== null && <ProblemNote error={action.error} />}
        {saved && (
          <p class="sc-notice" role="status">
            {t('branding.saved')}
          </p>
        )}
        <button type="submit" class="sc-button" disabled={action.busy}>
          {t('app.save')}
        </button>
      </form>
    </>
  );
}
