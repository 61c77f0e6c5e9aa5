//! The local outbox: every message the product sends is written to a folder as an `.eml`
//! file with a small JSON summary beside it, for a person to read (`/_local/outbox`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use selfcare::ports::Clock;
use selfcare::ports::mailer::{MailError, Mailer, OutgoingMail};

pub struct LocalOutbox {
    root: PathBuf,
    clock: Arc<dyn Clock>,
}

/// What the outbox shows of one message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OutboxEntry {
    pub id: String,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    /// RFC 3339.
    pub sent_at: String,
}

fn io(e: std::io::Error) -> MailError {
    MailError::Unavailable(format!("local outbox: {e}"))
}

/// The value of the first header `name` in a raw message (unfolded, not decoded).
pub fn header(raw: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut value: Option<String> = None;
    for line in head.split("\r\n") {
        if let Some(v) = value.as_mut() {
            if line.starts_with([' ', '\t']) {
                v.push(' ');
                v.push_str(line.trim_start_matches([' ', '\t']));
                continue;
            }
            break;
        }
        if let Some((n, v)) = line.split_once(':')
            && n.eq_ignore_ascii_case(name)
        {
            value = Some(v.trim().to_owned());
        }
    }
    value
}

impl LocalOutbox {
    pub fn open(root: &Path, clock: Arc<dyn Clock>) -> Result<Self, MailError> {
        std::fs::create_dir_all(root).map_err(io)?;
        Ok(LocalOutbox {
            root: root.to_owned(),
            clock,
        })
    }

    /// The messages sent, newest first.
    pub async fn entries(&self) -> Result<Vec<OutboxEntry>, MailError> {
        let mut entries = Vec::new();
        let mut dir = tokio::fs::read_dir(&self.root).await.map_err(io)?;
        while let Some(entry) = dir.next_entry().await.map_err(io)? {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                let bytes = tokio::fs::read(&path).await.map_err(io)?;
                if let Ok(e) = serde_json::from_slice::<OutboxEntry>(&bytes) {
                    entries.push(e);
                }
            }
        }
        entries.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(entries)
    }

    /// The raw message with this id.
    pub async fn raw(&self, id: &str) -> Result<Option<Vec<u8>>, MailError> {
        if ulid::Ulid::from_string(id).is_err() {
            return Ok(None);
        }
        match tokio::fs::read(self.root.join(format!("{id}.eml"))).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }
}

#[async_trait]
impl Mailer for LocalOutbox {
    async fn send(&self, mail: &OutgoingMail) -> Result<String, MailError> {
        if mail.to.is_empty() {
            return Err(MailError::Rejected("a message needs a recipient".into()));
        }
        let now = self.clock.now();
        let id = ulid::Ulid::from_datetime(now.into()).to_string();
        let entry = OutboxEntry {
            id: id.clone(),
            from: mail.from.clone(),
            to: mail.to.clone(),
            subject: header(&mail.raw, "Subject").unwrap_or_default(),
            sent_at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        };
        let eml = self.root.join(format!("{id}.eml"));
        tokio::fs::write(&eml, &mail.raw).await.map_err(io)?;
        let summary =
            serde_json::to_vec_pretty(&entry).map_err(|e| MailError::Unavailable(e.to_string()))?;
        // The summary is written last: an entry listed is an entry whose message is there.
        tokio::fs::write(self.root.join(format!("{id}.json")), summary)
            .await
            .map_err(io)?;
        Ok(id)
    }
}
