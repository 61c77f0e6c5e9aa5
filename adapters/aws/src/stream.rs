//! Reading the table's change stream with the DynamoDB Streams API, for the local runtime
//! pointed at moto or AWS and for the contract tests. Deployed, Lambda's event source
//! mapping reads the stream and hands the stream function a [`DynamoDbEvent`]; see
//! [`changes_from_event`].
//!
//! [`DynamoDbEvent`]: aws_lambda_events::event::dynamodb::Event

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::error::DisplayErrorContext;
use aws_sdk_dynamodbstreams::types::{OperationType, ShardIteratorType};
use tokio::sync::Mutex;

use super::attributes::{item_from_lambda_event, item_from_stream_sdk};
use selfcare::ports::table::{Change, ChangeFeed, ChangeKind, Item, Key, TableError};

pub struct DynamoChangeFeed {
    client: Client,
    stream_arn: String,
    /// Per shard, the last sequence number acknowledged.
    acknowledged: Mutex<BTreeMap<String, String>>,
}

fn unavailable(operation: &str, e: impl std::error::Error) -> TableError {
    TableError::Unavailable(format!("{operation}: {}", DisplayErrorContext(&e)))
}

fn key_of(keys: &Item) -> Result<Key, TableError> {
    Key::of(keys).ok_or_else(|| TableError::Invalid("a stream record lacks its key".into()))
}

/// Sequence numbers of one shard are decimal strings that grow in length and value;
/// `shard NUL sequence` keeps which shard a change came from.
fn sequence_of(shard: &str, sequence: &str) -> String {
    format!("{shard}\u{0}{sequence}")
}

impl DynamoChangeFeed {
    pub fn new(client: Client, stream_arn: impl Into<String>) -> Self {
        DynamoChangeFeed {
            client,
            stream_arn: stream_arn.into(),
            acknowledged: Mutex::new(BTreeMap::new()),
        }
    }
}

#[async_trait]
impl ChangeFeed for DynamoChangeFeed {
    async fn next_changes(&self) -> Result<Vec<Change>, TableError> {
        let stream = self
            .client
            .describe_stream()
            .stream_arn(&self.stream_arn)
            .send()
            .await
            .map_err(|e| unavailable("DescribeStream", e))?;
        let shards: Vec<String> = stream
            .stream_description()
            .map(|d| {
                d.shards()
                    .iter()
                    .filter_map(|s| s.shard_id().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let acknowledged = self.acknowledged.lock().await.clone();
        let mut changes = Vec::new();
        for shard in shards {
            let request = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.stream_arn)
                .shard_id(&shard);
            let request = match acknowledged.get(&shard) {
                Some(sequence) => request
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(sequence),
                None => request.shard_iterator_type(ShardIteratorType::TrimHorizon),
            };
            let iterator = request
                .send()
                .await
                .map_err(|e| unavailable("GetShardIterator", e))?;
            let Some(iterator) = iterator.shard_iterator() else {
                continue;
            };
            let records = self
                .client
                .get_records()
                .shard_iterator(iterator)
                .send()
                .await
                .map_err(|e| unavailable("GetRecords", e))?;
            for record in records.records() {
                let Some(data) = record.dynamodb() else {
                    continue;
                };
                let keys = data
                    .keys()
                    .map(item_from_stream_sdk)
                    .transpose()?
                    .unwrap_or_default();
                changes.push(Change {
                    kind: match record.event_name() {
                        Some(OperationType::Insert) => ChangeKind::Insert,
                        Some(OperationType::Modify) => ChangeKind::Modify,
                        _ => ChangeKind::Remove,
                    },
                    key: key_of(&keys)?,
                    old: data.old_image().map(item_from_stream_sdk).transpose()?,
                    new: data.new_image().map(item_from_stream_sdk).transpose()?,
                    sequence: sequence_of(&shard, data.sequence_number().unwrap_or_default()),
                });
            }
        }
        Ok(changes)
    }

    async fn acknowledge(&self, through: &Change) -> Result<(), TableError> {
        let (shard, sequence) = through
            .sequence
            .split_once('\u{0}')
            .ok_or_else(|| TableError::Invalid("not a sequence of this stream".into()))?;
        self.acknowledged
            .lock()
            .await
            .insert(shard.to_owned(), sequence.to_owned());
        Ok(())
    }
}

/// The changes a Lambda stream event carries, in order.
pub fn changes_from_event(
    event: &aws_lambda_events::event::dynamodb::Event,
) -> Result<Vec<Change>, TableError> {
    let image = |item: &serde_dynamo::Item| -> Result<Option<Item>, TableError> {
        if item.inner().is_empty() {
            return Ok(None);
        }
        item_from_lambda_event(item.inner()).map(Some)
    };
    event
        .records
        .iter()
        .map(|record| {
            let data = &record.change;
            let keys = item_from_lambda_event(data.keys.inner())?;
            Ok(Change {
                kind: match record.event_name.as_str() {
                    "INSERT" => ChangeKind::Insert,
                    "MODIFY" => ChangeKind::Modify,
                    _ => ChangeKind::Remove,
                },
                key: key_of(&keys)?,
                old: image(&data.old_image)?,
                new: image(&data.new_image)?,
                sequence: data.sequence_number.clone().unwrap_or_default(),
            })
        })
        .collect()
}
