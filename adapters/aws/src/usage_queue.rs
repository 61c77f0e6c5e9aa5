//! The ingest's queue on SQS: a FIFO queue whose message groups are providers, so each
//! provider's usage files load one at a time in arrival order while different providers'
//! load side by side. The bucket's notification function (`usage-queue`) sends; the
//! ingest function receives through its event source mapping.

use aws_sdk_sqs::error::DisplayErrorContext;
use selfcare::events::QueuedUsageFile;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("not a usage file: {0}")]
    NotUsage(String),
    #[error("SendMessage: {0}")]
    Unavailable(String),
}

#[derive(Clone)]
pub struct UsageFileQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl UsageFileQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        UsageFileQueue {
            client,
            url: url.into(),
        }
    }

    /// Queues the file in its provider's line. The same arrival (`sequencer`, S3's order
    /// of events on the key) sent twice within five minutes is one message.
    pub async fn send(
        &self,
        file: &QueuedUsageFile,
        sequencer: Option<&str>,
    ) -> Result<(), QueueError> {
        let tenant = file
            .tenant()
            .ok_or_else(|| QueueError::NotUsage(file.key.clone()))?;
        let body = serde_json::to_string(file).map_err(|e| QueueError::NotUsage(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_group_id(tenant.to_string())
            .message_deduplication_id(file.arrival_id(sequencer))
            .message_body(body)
            .send()
            .await
            .map_err(|e| QueueError::Unavailable(DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}
