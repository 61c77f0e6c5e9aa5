//! The ingest's queue on SQS (moto): each provider's usage files in one message group, in
//! the order they arrived; the same arrival sent twice is one message; what is not a usage
//! file is not queued.

use std::collections::HashMap;

use selfcare::events::QueuedUsageFile;
use selfcare::ids::TenantId;
use selfcare_aws::UsageFileQueue;
use selfcare_aws::usage_queue::QueueError;

use crate::support::{moto_config, unique};

#[tokio::test]
async fn each_providers_files_queue_in_arrival_order_in_a_line_of_their_own() {
    let sdk = moto_config().await;
    let client = aws_sdk_sqs::Client::new(&sdk);
    let url = client
        .create_queue()
        .queue_name(format!("{}.fifo", unique("usage-files")))
        .attributes(aws_sdk_sqs::types::QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .expect("moto makes the queue")
        .queue_url
        .expect("a queue URL");
    let queue = UsageFileQueue::new(client.clone(), &url);
    let now = time::OffsetDateTime::now_utc();
    let (acme, bluewave) = (TenantId::generate(now), TenantId::generate(now));
    let file = |tenant: &TenantId, name: &str, version: &str| {
        QueuedUsageFile::of(&format!("{tenant}/usage/{name}"), Some(version)).unwrap()
    };
    let sent = [
        (file(&acme, "nov-1.csv", "v1"), "0001"),
        (file(&bluewave, "nov-1.csv", "v1"), "0001"),
        (file(&acme, "nov-2.csv", "v1"), "0002"),
        // S3 says the first arrival again: not a second message.
        (file(&acme, "nov-1.csv", "v1"), "0001"),
        // The first file stored again under its name: a new arrival.
        (file(&acme, "nov-1.csv", "v2"), "0003"),
    ];
    for (file, sequencer) in &sent {
        queue.send(file, Some(sequencer)).await.unwrap();
    }
    let refused = queue
        .send(
            &QueuedUsageFile {
                key: format!("{acme}/rejects/x/nov-1.csv"),
                version: None,
            },
            None,
        )
        .await;
    assert!(matches!(refused, Err(QueueError::NotUsage(_))));

    let mut lines: HashMap<String, Vec<QueuedUsageFile>> = HashMap::new();
    loop {
        let received = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .message_system_attribute_names(
                aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId,
            )
            .send()
            .await
            .unwrap();
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            let group = message.attributes.as_ref().unwrap()
                [&aws_sdk_sqs::types::MessageSystemAttributeName::MessageGroupId]
                .clone();
            let body: QueuedUsageFile =
                serde_json::from_str(message.body.as_deref().unwrap()).unwrap();
            lines.entry(group).or_default().push(body);
            client
                .delete_message()
                .queue_url(&url)
                .receipt_handle(message.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    assert_eq!(
        lines[&acme.to_string()],
        [
            file(&acme, "nov-1.csv", "v1"),
            file(&acme, "nov-2.csv", "v1"),
            file(&acme, "nov-1.csv", "v2")
        ]
    );
    assert_eq!(
        lines[&bluewave.to_string()],
        [file(&bluewave, "nov-1.csv", "v1")]
    );
    assert_eq!(lines.len(), 2);
}
