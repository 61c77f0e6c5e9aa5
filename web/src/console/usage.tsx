// The provider's usage files: upload one (to a presigned URL, straight to the bucket), and
// follow each file's load: rows read, accepted, refused, with its rejects file; a load
// that stopped can be retried.
import { useState } from 'preact/hooks';
import { Api } from '../shared/api';
import type { components } from '../shared/api-types';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { PagedTable, ProblemNote, useAction, usePaged } from '../shared/ui';

type IngestView = components['schemas']['IngestView'];

interface UploadView {
  upload_url: string;
  content_type: string;
  corrects_earlier_file: boolean;
  note: string;
}

export function UsageFiles({ api, mayUpload }: { api: Api; mayUpload: boolean }) {
  const files = usePaged<IngestView>(api, '/v1/console/usage/ingests', 50);
  const retry = useAction();
  const [chosen, setChosen] = useState<File | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const upload = useAction();
  return (
    <>
      <h1>{t('nav.usage_files')}</h1>
      {mayUpload && (
        <form
          class="sc-card"
          onSubmit={(e) => {
            e.preventDefault();
            if (!chosen) return;
            upload.run(async () => {
              const ticket = await api.post<UploadView>('/v1/console/usage/uploads', { name: chosen.name });
              const stored = await fetch(ticket.upload_url, { method: 'PUT', headers: { 'content-type': ticket.content_type }, body: chosen });
              if (!stored.ok) throw new Error(t('usage_files.upload_failed'));
              setNote(ticket.note);
              // The load starts when the file is stored; give it a moment to appear.
              setTimeout(files.reload, 1000);
            });
          }}
        >
          <h2>{t('usage_files.upload')}</h2>
          <p>{t('usage_files.format')}</p>
          <div class="sc-field">
            <label for="field-usage-file">{t('usage_files.file')}</label>
            <input id="field-usage-file" name="usage-file" type="file" accept=".csv,text/csv" onChange={(e) => setChosen((e.currentTarget as HTMLInputElement).files?.[0] ?? null)} />
          </div>
          {upload.error !== null && <ProblemNote error={upload.error} />}
          {note && (
            <p class="sc-notice" role="status">
              {note}
            </p>
          )}
          <button type="submit" class="sc-button" disabled={upload.busy || !chosen}>
            {t('usage_files.send')}
          </button>
        </form>
      )}
      {retry.error !== null && <ProblemNote error={retry.error} />}
      <PagedTable
        paged={files}
        rowKey={(f) => f.id}
        empty={t('usage_files.none')}
        columns={[
          { label: t('usage_files.file'), cell: (f) => f.file.split('/').pop() ?? f.file, sort: (f) => f.file },
          { label: t('usage_files.started'), cell: (f) => format.date(f.started_at), sort: (f) => f.started_at },
          { label: t('usage_files.status'), cell: (f) => <IngestStatus file={f} mayRetry={mayUpload} busy={retry.busy} onRetry={() => retry.run(async () => { await api.post<IngestView>(`/v1/console/usage/ingests/${encodeURIComponent(f.id)}/retry`, {}); files.reload(); })} /> },
          { label: t('usage_files.accepted'), cell: (f) => `${f.accepted} / ${f.rows_read}` },
          {
            label: t('usage_files.rejected'),
            cell: (f) => (f.rejects_url ? <a href={f.rejects_url}>{t('usage_files.rejects', { count: String(f.rejected) })}</a> : String(f.rejected)),
          },
        ]}
      />
      <button type="button" class="sc-button sc-button-quiet" onClick={files.reload}>
        {t('usage_files.refresh')}
      </button>
    </>
  );
}

/// Where a file's load is, and for one that stopped (and was not retried yet), the way to
/// load it again.
function IngestStatus({ file, mayRetry, busy, onRetry }: { file: IngestView; mayRetry: boolean; busy: boolean; onRetry: () => void }) {
  if (file.status === 'completed') return <>{t('usage_files.completed')}</>;
  if (file.status === 'running') return <>{t('usage_files.running')}</>;
  const label = file.stalled || file.retried_as ? t('usage_files.stalled') : t('usage_files.failed');
  return (
    <>
      {label}: {file.error ?? ''}
      {file.retried_as ? (
        <span class="sc-muted"> {t('usage_files.retried')}</span>
      ) : (
        file.retryable &&
        mayRetry && (
          <>
            {' '}
            <button type="button" class="sc-button sc-button-quiet" disabled={busy} onClick={onRetry} aria-label={t('usage_files.retry_file', { file: file.file.split('/').pop() ?? file.file })}>
              {t('usage_files.retry')}
            </button>
          </>
        )
      )}
    </>
  );
}
