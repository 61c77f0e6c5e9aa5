//! The Mailer port on SES v2: the message goes as raw content, byte for byte.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use tracing::instrument;

use selfcare::ports::mailer::{MailError, Mailer, OutgoingMail};

pub struct SesMailer {
    client: Client,
}

impl SesMailer {
    pub fn new(client: Client) -> Self {
        SesMailer { client }
    }
}

#[async_trait]
impl Mailer for SesMailer {
    #[instrument(skip(self, mail), fields(recipients = mail.to.len()))]
    async fn send(&self, mail: &OutgoingMail) -> Result<String, MailError> {
        // SES would fall back to the message's own headers; the port wants envelope
        // recipients, as the local outbox does.
        if mail.to.is_empty() {
            return Err(MailError::Rejected("a message needs a recipient".into()));
        }
        let raw = RawMessage::builder()
            .data(Blob::new(mail.raw.clone()))
            .build()
            .map_err(|e| MailError::Rejected(e.to_string()))?;
        let result = self
            .client
            .send_email()
            .from_email_address(&mail.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(mail.to.clone()))
                    .build(),
            )
            .content(EmailContent::builder().raw(raw).build())
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.message_id().unwrap_or_default().to_owned()),
            Err(error) => {
                let code = error
                    .as_service_error()
                    .and_then(|e| e.code())
                    .map(str::to_owned);
                let text = DisplayErrorContext(&error).to_string();
                match code.as_deref() {
                    Some(
                        "MessageRejected"
                        | "BadRequestException"
                        | "MailFromDomainNotVerifiedException"
                        | "AccountSuspendedException"
                        | "SendingPausedException",
                    ) => Err(MailError::Rejected(text)),
                    _ => Err(MailError::Unavailable(text)),
                }
            }
        }
    }
}
