//! The Table port on DynamoDB. This module owns the translation to DynamoDB's requests:
//! expressions, attribute values, batch limits, and which errors mean what.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put, PutRequest,
    ReturnValue, ScalarAttributeType, StreamSpecification, StreamViewType, TimeToLiveSpecification,
    TransactWriteItem, Update as SdkUpdate, WriteRequest,
};
use tracing::instrument;

use super::attributes::{from_sdk, item_from_sdk, item_to_sdk, to_sdk};
use selfcare::ports::Clock;
use selfcare::ports::table::{
    Condition, Cursor, EXPIRES_AT, GSI1_PK, GSI1_SK, GSI2_PK, GSI2_SK, Item, Key, PK, Page, Query,
    SK, SortKey, Table, TableError, Update, Value, Write, check_transaction, is_expired,
};

/// DynamoDB takes at most 25 puts in one BatchWriteItem.
const BATCH_SIZE: usize = 25;
/// DynamoDB reads at most 100 keys in one BatchGetItem.
const BATCH_GET_SIZE: usize = 100;
/// How often a batch's unprocessed items are sent again before giving up.
const BATCH_ATTEMPTS: u32 = 8;

pub struct DynamoTable {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
}

/// Names and values of one request's expressions, numbered as they are added.
#[derive(Default)]
struct Expressions {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expressions {
    fn name(&mut self, name: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, n)| n.as_str() == name) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_owned());
        placeholder
    }

    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn condition(&mut self, condition: &Condition) -> String {
        match condition {
            Condition::Exists => format!("attribute_exists({})", self.name(PK)),
            Condition::Absent => format!("attribute_not_exists({})", self.name(PK)),
            Condition::Equals(name, value) => {
                format!("{} = {}", self.name(name), self.value(to_sdk(value)))
            }
            Condition::All(all) if all.is_empty() => {
                // An empty All always holds; DynamoDB has no literal true, so compare a
                // value with itself.
                let v = self.value(AttributeValue::Bool(true));
                format!("{v} = {v}")
            }
            Condition::All(all) => all
                .iter()
                .map(|c| format!("({})", self.condition(c)))
                .collect::<Vec<_>>()
                .join(" AND "),
        }
    }

    fn update(&mut self, update: &Update) -> String {
        let mut clauses = Vec::new();
        if !update.set.is_empty() {
            let sets: Vec<String> = update
                .set
                .iter()
                .map(|(n, v)| format!("{} = {}", self.name(n), self.value(to_sdk(v))))
                .collect();
            clauses.push(format!("SET {}", sets.join(", ")));
        }
        if !update.add.is_empty() {
            let adds: Vec<String> = update
                .add
                .iter()
                .map(|(n, by)| {
                    format!(
                        "{} {}",
                        self.name(n),
                        self.value(AttributeValue::N(by.to_string()))
                    )
                })
                .collect();
            clauses.push(format!("ADD {}", adds.join(", ")));
        }
        if !update.remove.is_empty() {
            let removes: Vec<String> = update.remove.iter().map(|n| self.name(n)).collect();
            clauses.push(format!("REMOVE {}", removes.join(", ")));
        }
        clauses.join(" ")
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

fn key_map(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Maps an SDK error: a failed condition and bad input are told apart from an outage.
fn sdk_error<
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
>(
    operation: &str,
    error: SdkError<E, R>,
) -> TableError {
    let code = error
        .as_service_error()
        .and_then(|e| e.code())
        .map(str::to_owned);
    match code.as_deref() {
        Some("ConditionalCheckFailedException") => TableError::ConditionFailed,
        Some("ValidationException") => TableError::Invalid(
            error
                .as_service_error()
                .and_then(|e| e.message())
                .unwrap_or("rejected by DynamoDB")
                .to_owned(),
        ),
        _ => TableError::Unavailable(format!("{operation}: {}", DisplayErrorContext(&error))),
    }
}

fn built<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, TableError> {
    result.map_err(|e| TableError::Invalid(format!("building the request: {e}")))
}

impl DynamoTable {
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        DynamoTable {
            client,
            table: table.into(),
            clock,
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    fn transact_item(&self, write: Write) -> Result<TransactWriteItem, TableError> {
        let mut expressions = Expressions::default();
        let condition = write.condition().map(|c| expressions.condition(c));
        let item = match write {
            Write::Put { item, .. } => TransactWriteItem::builder().put(built(
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item_to_sdk(&item)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expressions.names())
                    .set_expression_attribute_values(expressions.values())
                    .build(),
            )?),
            Write::Update { key, update, .. } => {
                let expression = expressions.update(&update);
                TransactWriteItem::builder().update(built(
                    SdkUpdate::builder()
                        .table_name(&self.table)
                        .set_key(Some(key_map(&key)))
                        .update_expression(expression)
                        .set_condition_expression(condition)
                        .set_expression_attribute_names(expressions.names())
                        .set_expression_attribute_values(expressions.values())
                        .build(),
                )?)
            }
            Write::Delete { key, .. } => TransactWriteItem::builder().delete(built(
                Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_map(&key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expressions.names())
                    .set_expression_attribute_values(expressions.values())
                    .build(),
            )?),
            Write::Check { key, .. } => TransactWriteItem::builder().condition_check(built(
                ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_map(&key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expressions.names())
                    .set_expression_attribute_values(expressions.values())
                    .build(),
            )?),
        };
        Ok(item.build())
    }

    /// Sends one batch of at most 25 puts, sending again what DynamoDB leaves unprocessed,
    /// with exponential backoff, until all are written or the attempts run out.
    async fn put_batch(&self, mut requests: Vec<WriteRequest>) -> Result<(), TableError> {
        let mut attempt = 0;
        while !requests.is_empty() {
            if attempt > 0 {
                let backoff = Duration::from_millis(25 << attempt.min(6));
                let jitter = Duration::from_millis(rand::random::<u64>() % 25);
                tokio::time::sleep(backoff + jitter).await;
            }
            if attempt >= BATCH_ATTEMPTS {
                return Err(TableError::Unavailable(format!(
                    "{} puts were still unprocessed after {BATCH_ATTEMPTS} attempts",
                    requests.len()
                )));
            }
            attempt += 1;
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await
                .map_err(|e| sdk_error("BatchWriteItem", e))?;
            requests = output
                .unprocessed_items
                .and_then(|mut unprocessed| unprocessed.remove(&self.table))
                .unwrap_or_default();
        }
        Ok(())
    }
}

#[async_trait]
impl Table for DynamoTable {
    #[instrument(skip(self), fields(table = %self.table))]
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("GetItem", e))?;
        let item = output.item.as_ref().map(item_from_sdk).transpose()?;
        Ok(item.filter(|item| !is_expired(item, self.now())))
    }

    #[instrument(skip(self, keys), fields(table = %self.table, keys = keys.len()))]
    async fn get_many(
        &self,
        keys: &[Key],
    ) -> Result<std::collections::BTreeMap<Key, Item>, TableError> {
        let unique: std::collections::BTreeSet<&Key> = keys.iter().collect();
        let unique: Vec<&Key> = unique.into_iter().collect();
        let mut found = std::collections::BTreeMap::new();
        for batch in unique.chunks(BATCH_GET_SIZE) {
            let mut wanted: Vec<HashMap<String, AttributeValue>> =
                batch.iter().map(|k| key_map(k)).collect();
            let mut attempt = 0;
            while !wanted.is_empty() {
                if attempt > 0 {
                    let backoff = Duration::from_millis(25 << attempt.min(6));
                    tokio::time::sleep(backoff).await;
                }
                if attempt >= BATCH_ATTEMPTS {
                    return Err(TableError::Unavailable(format!(
                        "{} reads were still unprocessed after {BATCH_ATTEMPTS} attempts",
                        wanted.len()
                    )));
                }
                attempt += 1;
                let request = built(
                    KeysAndAttributes::builder()
                        .set_keys(Some(wanted))
                        .consistent_read(true)
                        .build(),
                )?;
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| sdk_error("BatchGetItem", e))?;
                for sdk_item in output
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    let item = item_from_sdk(&sdk_item)?;
                    if is_expired(&item, self.now()) {
                        continue;
                    }
                    if let Some(key) = Key::of(&item) {
                        found.insert(key, item);
                    }
                }
                wanted = output
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
        }
        Ok(found)
    }

    #[instrument(skip(self, item), fields(table = %self.table))]
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        let mut expressions = Expressions::default();
        let condition = condition.map(|c| expressions.condition(&c));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_to_sdk(&item)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expressions.names())
            .set_expression_attribute_values(expressions.values())
            .send()
            .await
            .map_err(|e| sdk_error("PutItem", e))?;
        Ok(())
    }

    #[instrument(skip(self, update), fields(table = %self.table))]
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError> {
        // Check what the port promises before DynamoDB sees it, so both adapters agree.
        update.apply(key, None)?;
        let mut expressions = Expressions::default();
        let expression = expressions.update(&update);
        let condition = condition.map(|c| expressions.condition(&c));
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(expressions.names())
            .set_expression_attribute_values(expressions.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| sdk_error("UpdateItem", e))?;
        output
            .attributes
            .as_ref()
            .map(item_from_sdk)
            .transpose()?
            .ok_or_else(|| TableError::Unavailable("UpdateItem returned no attributes".into()))
    }

    #[instrument(skip(self), fields(table = %self.table))]
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError> {
        let mut expressions = Expressions::default();
        let condition = condition.map(|c| expressions.condition(&c));
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expressions.names())
            .set_expression_attribute_values(expressions.values())
            .send()
            .await
            .map_err(|e| sdk_error("DeleteItem", e))?;
        Ok(())
    }

    #[instrument(skip(self), fields(table = %self.table))]
    async fn query(&self, query: Query) -> Result<Page, TableError> {
        if query.limit == 0 {
            return Err(TableError::Invalid(
                "a query's limit must be at least 1".into(),
            ));
        }
        let (pk_name, sk_name) = query.index.key_names();
        let mut expressions = Expressions::default();
        let pk = expressions.name(pk_name);
        let partition = expressions.value(AttributeValue::S(query.partition.clone()));
        let mut key_condition = format!("{pk} = {partition}");
        let sort = |e: &mut Expressions, op: &str, v: &str| {
            let n = e.name(sk_name);
            let v = e.value(AttributeValue::S(v.to_owned()));
            format!(" AND {n} {op} {v}")
        };
        match &query.sort {
            SortKey::Any => {}
            SortKey::Equals(v) => key_condition += &sort(&mut expressions, "=", v),
            SortKey::GreaterThan(v) => key_condition += &sort(&mut expressions, ">", v),
            SortKey::LessThan(v) => key_condition += &sort(&mut expressions, "<", v),
            SortKey::BeginsWith(p) => {
                let n = expressions.name(sk_name);
                let v = expressions.value(AttributeValue::S(p.clone()));
                key_condition += &format!(" AND begins_with({n}, {v})");
            }
            SortKey::Between(lo, hi) => {
                let n = expressions.name(sk_name);
                let lo = expressions.value(AttributeValue::S(lo.clone()));
                let hi = expressions.value(AttributeValue::S(hi.clone()));
                key_condition += &format!(" AND {n} BETWEEN {lo} AND {hi}");
            }
        }
        let start = query.after.as_ref().map(|Cursor(fields)| {
            fields
                .iter()
                .map(|(k, v)| (k.clone(), AttributeValue::S(v.clone())))
                .collect::<HashMap<_, _>>()
        });
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(query.index.name().map(str::to_owned))
            .key_condition_expression(key_condition)
            .set_expression_attribute_names(expressions.names())
            .set_expression_attribute_values(expressions.values())
            .scan_index_forward(query.forward)
            .consistent_read(query.consistent)
            .limit(i32::try_from(query.limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| sdk_error("Query", e))?;
        let now = self.now();
        let mut items = Vec::new();
        for raw in output.items() {
            let item = item_from_sdk(raw)?;
            if !is_expired(&item, now) {
                items.push(item);
            }
        }
        let next = match output.last_evaluated_key() {
            None => None,
            Some(last) => {
                let mut fields = std::collections::BTreeMap::new();
                for (name, value) in last {
                    if let Value::S(s) = from_sdk(value)? {
                        fields.insert(name.clone(), s);
                    }
                }
                Some(Cursor(fields))
            }
        };
        Ok(Page { items, next })
    }

    #[instrument(skip(self, writes), fields(table = %self.table, writes = writes.len()))]
    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        check_transaction(&writes)?;
        let items = writes
            .into_iter()
            .map(|w| self.transact_item(w))
            .collect::<Result<Vec<_>, _>>()?;
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) => {
                if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
                    error.as_service_error()
                {
                    let reasons = cancelled.cancellation_reasons();
                    if let Some(index) = reasons
                        .iter()
                        .position(|r| r.code() == Some("ConditionalCheckFailed"))
                    {
                        return Err(TableError::TransactionConditionFailed { index });
                    }
                    if reasons
                        .iter()
                        .any(|r| r.code() == Some("TransactionConflict"))
                    {
                        return Err(TableError::TransactionConflict);
                    }
                }
                Err(sdk_error("TransactWriteItems", error))
            }
        }
    }

    #[instrument(skip(self, items), fields(table = %self.table, items = items.len()))]
    async fn put_many(&self, items: Vec<Item>) -> Result<(), TableError> {
        let mut requests = Vec::with_capacity(items.len());
        for item in &items {
            if Key::of(item).is_none() {
                return Err(TableError::Invalid(
                    "an item needs string pk and sk attributes".into(),
                ));
            }
            let put = built(
                PutRequest::builder()
                    .set_item(Some(item_to_sdk(item)))
                    .build(),
            )?;
            requests.push(WriteRequest::builder().put_request(put).build());
        }
        // Batches go out a few at a time: fast, without one caller flooding a partition.
        let batches: Vec<Vec<WriteRequest>> = requests
            .chunks(BATCH_SIZE)
            .map(<[WriteRequest]>::to_vec)
            .collect();
        use futures::StreamExt;
        let mut results = futures::stream::iter(batches.into_iter().map(|b| self.put_batch(b)))
            .buffer_unordered(4);
        while let Some(result) = results.next().await {
            result?;
        }
        Ok(())
    }
}

/// Creates the table as `template.yaml` declares it (keys, indexes, stream, TTL), unless it
/// exists. For emulators and local use; deployed stacks get theirs from the template.
pub async fn ensure_table(client: &Client, table: &str) -> Result<(), TableError> {
    if client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    let attribute = |name: &str| {
        built(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build(),
        )
    };
    let key = |name: &str, kind: KeyType| {
        built(
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build(),
        )
    };
    let gsi = |name: &str, pk: &str, sk: &str| -> Result<GlobalSecondaryIndex, TableError> {
        built(
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(key(pk, KeyType::Hash)?)
                .key_schema(key(sk, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build(),
        )
    };
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(vec![
            attribute(PK)?,
            attribute(SK)?,
            attribute(GSI1_PK)?,
            attribute(GSI1_SK)?,
            attribute(GSI2_PK)?,
            attribute(GSI2_SK)?,
        ]))
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .global_secondary_indexes(gsi("gsi1", GSI1_PK, GSI1_SK)?)
        .global_secondary_indexes(gsi("gsi2", GSI2_PK, GSI2_SK)?)
        .stream_specification(built(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build(),
        )?)
        .send()
        .await
        .map_err(|e| sdk_error("CreateTable", e))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(built(
            TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(EXPIRES_AT)
                .build(),
        )?)
        .send()
        .await
        .map_err(|e| sdk_error("UpdateTimeToLive", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_become_expressions_with_placeholders() {
        let mut e = Expressions::default();
        let text = e.condition(&Condition::All(vec![
            Condition::Exists,
            Condition::Equals("version".into(), Value::N(3)),
        ]));
        assert_eq!(text, "(attribute_exists(#n0)) AND (#n1 = :v0)");
        assert_eq!(e.names.get("#n1").map(String::as_str), Some("version"));
        assert_eq!(e.values.get(":v0"), Some(&AttributeValue::N("3".into())));
    }

    #[test]
    fn updates_become_set_add_remove_clauses() {
        let mut e = Expressions::default();
        let text = e.update(
            &Update::default()
                .set("name", "Ada")
                .add("count", 2)
                .remove("old"),
        );
        assert_eq!(text, "SET #n0 = :v0 ADD #n1 :v1 REMOVE #n2");
    }
}
