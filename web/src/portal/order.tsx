// An order as the portal reads it, and its state as a badge: shared by every page that
// places or lists orders.
import { t } from '../shared/i18n';

export interface Order {
  id: string;
  summary: string;
  state: string;
  submitted_at: string;
  reason?: string | null;
  provisioning: { expected_on?: string | null; reference?: string | null };
  request: Record<string, unknown>;
}

export function State({ state }: { state: string }) {
  return <span class={`sc-state sc-state-${state}`}>{t(`state.${state}` as 'state.pending')}</span>;
}
