//! The Mailer port: send one MIME message, as built (by `mail-builder`), byte for byte.

use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The envelope sender (the message's From header says the same).
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The whole RFC 5322 message: headers and body.
    pub raw: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The service refused this message; sending it again will not help.
    #[error("the message was rejected: {0}")]
    Rejected(String),
    /// Worth trying again later.
    #[error("the mail service is unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends the message and returns the service's message id.
    async fn send(&self, mail: &OutgoingMail) -> Result<String, MailError>;
}
