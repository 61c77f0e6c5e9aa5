// The provider's usage files: upload one (to a presigned URL, straight to the bucket), and
// follow each file's load: rows read, accepted, refused, with its rejects file.
import { useState } from 'preact/hooks';
import { Api, PageOf } from '../shared/api';
import * as format from '../shared/format';
import { t } from '../shared/i18n';
import { Loaded, ProblemNote, Table, useAction, useLoad } from '../shared/ui';

interface IngestView {
  id: string;
  file: string;
  status: 'running' | 'completed' | 'failed';
  rows_read: number;
  accepted: number;
  rejected: number;
  error?: string | null;
  started_at: string;
  rejects_url?: string | null;
}

interface UploadView {
  upload_url: string;
  content_type: string;
  corrects_earlier_file: boolean;
  note: string;
}

export function UsageFiles({ api, mayUpload }: { api: Api; mayUpload: boolean }) {
  const files = useLoad(() => api.get<PageOf<IngestView>>('/v1/console/usage/ingests?limit=50'));
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
      <Loaded load={files}>
        {(page) => (
          <>
            <Table
              rows={page.items}
              rowKey={(f) => f.id}
              empty={t('usage_files.none')}
              columns={[
                { label: t('usage_files.file'), cell: (f) => f.file.split('/').pop() ?? f.file },
                { label: t('usage_files.started'), cell: (f) => format.date(f.started_at) },
                { label: t('usage_files.status'), cell: (f) => (f.status === 'failed' ? `${t('usage_files.failed')}: ${f.error ?? ''}` : t(f.status === 'completed' ? 'usage_files.completed' : 'usage_files.running')) },
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
        )}
      </Loaded>
    </>
  );
}
