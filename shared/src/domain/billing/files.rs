//! The documents of record in the exports bucket: each issued invoice's PDF (as issued:
//! nothing paid or credited yet), its itemised usage as CSV, and each credit note's PDF,
//! under the tenant's prefix, downloaded through short-lived presigned links only.
//!
//! They are written when the invoice or credit note is inserted (the `documents`
//! function, from the table's stream), and again on the first request for a link if that
//! has not happened yet. Every write is to the same key with the same content, so a
//! delivery twice, or a request racing the stream, stores one file.
//!
//! Written in the provider's default language (the account has none of its own yet).

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use super::adjustments::CreditNote;
use super::invoice::{Invoice, LineKind};
use super::settings::BillingSettings;
use super::{Billing, BillingError, pdf, record};
use crate::ids::{AccountId, TenantId};
use crate::ports::blobs::{BlobError, BlobKey, Blobs, Retention, bytes_stream};
use crate::ports::table::{Item, Value};

/// How long a download link works.
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// What an inserted item is, when it is a document with files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuedDocument {
    Invoice {
        tenant: TenantId,
        account: AccountId,
        invoice: String,
    },
    CreditNote {
        tenant: TenantId,
        account: AccountId,
        invoice: String,
        note: String,
    },
}

/// The issued invoice or credit note an item of the table is, if it is one.
pub fn issued_document(item: &Item) -> Option<IssuedDocument> {
    let text = |name: &str| item.get(name).and_then(Value::as_s);
    let tenant = text("tenant")?.parse().ok()?;
    let account = text("account")?.parse().ok()?;
    match text("kind")? {
        record::INVOICE_KIND => Some(IssuedDocument::Invoice {
            tenant,
            account,
            invoice: text("id")?.to_owned(),
        }),
        record::CREDIT_NOTE_KIND => Some(IssuedDocument::CreditNote {
            tenant,
            account,
            invoice: text("invoice")?.to_owned(),
            note: text("id")?.to_owned(),
        }),
        _ => None,
    }
}

/// A link to one stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLink {
    /// What a browser saves it as: `invoice-INV-000042.pdf`.
    pub name: String,
    pub url: String,
}

/// The links to an invoice's files, all good until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceLinks {
    pub pdf: FileLink,
    /// None when the invoice bills no usage.
    pub usage_csv: Option<FileLink>,
    /// One per credit note against it, oldest first.
    pub credit_notes: Vec<FileLink>,
    pub expires_at: OffsetDateTime,
}

pub struct InvoiceFiles {
    billing: Billing,
    blobs: Arc<dyn Blobs>,
}

fn folder(tenant: &TenantId, account: &AccountId, invoice: &str) -> String {
    format!("{tenant}/invoices/{account}/{invoice}")
}

fn key(text: String) -> Result<BlobKey, BillingError> {
    BlobKey::parse(&text).map_err(files_error)
}

fn files_error(e: BlobError) -> BillingError {
    BillingError::Files(e.to_string())
}

/// A document number as part of a file name (`INV/2026/42` → `INV-2026-42`).
fn file_part(number: &str) -> String {
    number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The names the files are stored, and saved, under: the last segment of their key.
fn invoice_pdf(invoice: &Invoice) -> String {
    format!("invoice-{}.pdf", file_part(&invoice.number))
}

fn usage_csv(invoice: &Invoice) -> String {
    format!("usage-{}.csv", file_part(&invoice.number))
}

fn credit_note_pdf(note: &CreditNote) -> String {
    format!("credit-note-{}.pdf", file_part(&note.number))
}

fn bills_usage(invoice: &Invoice) -> bool {
    invoice.lines.iter().any(|l| l.kind == LineKind::Usage)
}

impl InvoiceFiles {
    pub fn new(billing: Billing, blobs: Arc<dyn Blobs>) -> Self {
        InvoiceFiles { billing, blobs }
    }

    /// The language and provider name the documents are written in and under.
    async fn letterhead(
        &self,
        tenant: &TenantId,
    ) -> Result<(BillingSettings, String, String), BillingError> {
        let settings = self.billing.settings(tenant).await?;
        let access = crate::domain::settings::read(self.billing.table.as_ref(), tenant).await?;
        let provider = crate::domain::tenancy::Tenants::new(
            self.billing.table.clone(),
            self.billing.clock.clone(),
            self.billing.cursors.clone(),
        )
        .get(tenant)
        .await
        .map_err(|e| BillingError::Files(e.to_string()))?;
        Ok((settings, provider.name, access.default_language))
    }

    async fn put(
        &self,
        key: &BlobKey,
        body: Vec<u8>,
        content_type: &str,
        settings: &BillingSettings,
    ) -> Result<(), BillingError> {
        let keep = Retention::Years(settings.retention_years);
        self.blobs
            .put_kept(key, bytes_stream(body), content_type, keep)
            .await
            .map_err(files_error)?;
        Ok(())
    }

    /// Writes the invoice's PDF as issued, and its itemised usage when it bills usage.
    pub async fn store_invoice(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: &str,
    ) -> Result<(), BillingError> {
        let invoice = self.billing.invoice(tenant, account, invoice).await?;
        let (settings, provider, language) = self.letterhead(tenant).await?;
        self.write_invoice(tenant, account, &invoice, &settings, &provider, &language)
            .await
    }

    async fn write_invoice(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: &Invoice,
        settings: &BillingSettings,
        provider: &str,
        language: &str,
    ) -> Result<(), BillingError> {
        let folder = folder(tenant, account, &invoice.id);
        // As issued: what was paid or credited since is the ledger's and the live view's.
        let issued = Invoice {
            paid: 0,
            credited: 0,
            written_off: 0,
            ..invoice.clone()
        };
        let document = pdf::render(&issued, &[], settings, provider, language);
        self.put(
            &key(format!("{folder}/{}", invoice_pdf(invoice)))?,
            document,
            "application/pdf",
            settings,
        )
        .await?;
        if bills_usage(invoice) {
            let csv = self
                .billing
                .itemised_usage(tenant, account, invoice)
                .await?;
            self.put(
                &key(format!("{folder}/{}", usage_csv(invoice)))?,
                csv,
                "text/csv; charset=utf-8",
                settings,
            )
            .await?;
        }
        Ok(())
    }

    /// Writes a credit note's PDF beside its invoice's files.
    pub async fn store_credit_note(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: &str,
        note: &str,
    ) -> Result<(), BillingError> {
        let invoice = self.billing.invoice(tenant, account, invoice).await?;
        let notes = self
            .billing
            .credit_notes_of(tenant, account, &invoice.id)
            .await?;
        let note = notes
            .iter()
            .find(|n| n.id == note)
            .ok_or(BillingError::NotFound)?;
        let (settings, provider, language) = self.letterhead(tenant).await?;
        self.write_credit_note(
            tenant, account, &invoice, note, &settings, &provider, &language,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn write_credit_note(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: &Invoice,
        note: &CreditNote,
        settings: &BillingSettings,
        provider: &str,
        language: &str,
    ) -> Result<(), BillingError> {
        let document = pdf::render_credit_note(note, invoice, settings, provider, language);
        let folder = folder(tenant, account, &invoice.id);
        self.put(
            &key(format!("{folder}/{}", credit_note_pdf(note)))?,
            document,
            "application/pdf",
            settings,
        )
        .await
    }

    /// Links to the invoice's files, writing any not stored yet (the stream is behind, or
    /// failed) first.
    pub async fn links(
        &self,
        tenant: &TenantId,
        account: &AccountId,
        invoice: &str,
    ) -> Result<InvoiceLinks, BillingError> {
        let invoice = self.billing.invoice(tenant, account, invoice).await?;
        let notes = self
            .billing
            .credit_notes_of(tenant, account, &invoice.id)
            .await?;
        let folder = folder(tenant, account, &invoice.id);
        let stored: Vec<String> = self
            .blobs
            .list(&format!("{folder}/"), None, 1000)
            .await
            .map_err(files_error)?
            .blobs
            .into_iter()
            .map(|b| b.key.as_str().to_owned())
            .collect();
        let has = |name: &str| stored.iter().any(|k| k == &format!("{folder}/{name}"));
        let invoice_missing =
            !has(&invoice_pdf(&invoice)) || (bills_usage(&invoice) && !has(&usage_csv(&invoice)));
        let notes_missing: Vec<&CreditNote> =
            notes.iter().filter(|n| !has(&credit_note_pdf(n))).collect();
        if invoice_missing || !notes_missing.is_empty() {
            let (settings, provider, language) = self.letterhead(tenant).await?;
            if invoice_missing {
                self.write_invoice(tenant, account, &invoice, &settings, &provider, &language)
                    .await?;
            }
            for note in notes_missing {
                self.write_credit_note(
                    tenant, account, &invoice, note, &settings, &provider, &language,
                )
                .await?;
            }
        }
        let expires_at = self.billing.clock.now() + LINK_LIFETIME;
        let pdf = self.link(&folder, invoice_pdf(&invoice)).await?;
        let usage_csv = if bills_usage(&invoice) {
            Some(self.link(&folder, usage_csv(&invoice)).await?)
        } else {
            None
        };
        let mut credit_notes = Vec::new();
        for note in &notes {
            credit_notes.push(self.link(&folder, credit_note_pdf(note)).await?);
        }
        Ok(InvoiceLinks {
            pdf,
            usage_csv,
            credit_notes,
            expires_at,
        })
    }

    async fn link(&self, folder: &str, name: String) -> Result<FileLink, BillingError> {
        let url = self
            .blobs
            .presign_get(&key(format!("{folder}/{name}"))?, LINK_LIFETIME)
            .await
            .map_err(files_error)?;
        Ok(FileLink { name, url })
    }
}
