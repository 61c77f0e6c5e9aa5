//! A fault injector for the DynamoDB client: the faults moto never produces, injected on
//! the wire between the real adapter and the real emulator, so the adapter's handling of
//! them is tested end to end.
//!
//! - **Throttling**: the next N requests are turned into a harmless `DescribeLimits` before
//!   they are signed (so nothing is written) and answered with
//!   `ProvisionedThroughputExceededException`, which the SDK retries with backoff.
//! - **Unprocessed items**: the next N `BatchWriteItem` requests lose the second half of
//!   their puts before they are sent, and the answer lists those puts as `UnprocessedItems`,
//!   as DynamoDB does under load, so the adapter must send them again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const TARGET: &str = "x-amz-target";

#[derive(Debug, Default)]
pub struct FaultInjector {
    throttles_left: AtomicU32,
    partial_batches_left: AtomicU32,
    throttled: AtomicU32,
    puts_left_unprocessed: AtomicU32,
}

impl FaultInjector {
    pub fn new() -> Arc<Self> {
        Arc::new(FaultInjector::default())
    }
    /// Throttles the next `n` requests.
    pub fn throttle_next(&self, n: u32) {
        self.throttles_left.store(n, Ordering::SeqCst);
    }
    /// Leaves half the puts of the next `n` batch writes unprocessed.
    pub fn leave_unprocessed(&self, n: u32) {
        self.partial_batches_left.store(n, Ordering::SeqCst);
    }
    /// How many requests were throttled so far.
    pub fn throttled(&self) -> u32 {
        self.throttled.load(Ordering::SeqCst)
    }
    /// How many puts were reported unprocessed so far.
    pub fn puts_left_unprocessed(&self) -> u32 {
        self.puts_left_unprocessed.load(Ordering::SeqCst)
    }

    /// The interceptor to give the client's config (`.interceptor(...)`).
    pub fn interceptor(self: &Arc<Self>) -> FaultInterceptor {
        FaultInterceptor(self.clone())
    }
}

/// Takes one from the counter unless it is zero.
fn take_one(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

#[derive(Debug, Clone)]
enum Planned {
    Nothing,
    Throttle,
    /// The puts withheld, as DynamoDB JSON `RequestItems`.
    Unprocessed(serde_json::Value),
}

impl Storable for Planned {
    type Storer = StoreReplace<Self>;
}

#[derive(Debug)]
pub struct FaultInterceptor(Arc<FaultInjector>);

/// A JSON body and its length, for a request or response being rewritten.
fn json_body(json: &serde_json::Value) -> (String, SdkBody) {
    let bytes = json.to_string().into_bytes();
    (bytes.len().to_string(), SdkBody::from(bytes))
}

impl Intercept for FaultInterceptor {
    fn name(&self) -> &'static str {
        "FaultInterceptor"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let target = request.headers().get(TARGET).unwrap_or_default().to_owned();
        let mut planned = Planned::Nothing;
        if take_one(&self.0.throttles_left) {
            // Send something harmless instead, so a throttled write writes nothing.
            request
                .headers_mut()
                .insert(TARGET, "DynamoDB_20120810.DescribeLimits");
            let (length, body) = json_body(&serde_json::json!({}));
            request.headers_mut().insert("content-length", length);
            *request.body_mut() = body;
            planned = Planned::Throttle;
        } else if target.ends_with(".BatchWriteItem") && take_one(&self.0.partial_batches_left) {
            let sent: serde_json::Value = request
                .body()
                .bytes()
                .and_then(|b| serde_json::from_slice(b).ok())
                .unwrap_or_default();
            let mut kept = sent;
            let mut withheld = serde_json::Map::new();
            if let Some(tables) = kept.get_mut("RequestItems").and_then(|t| t.as_object_mut()) {
                for (table, requests) in tables.iter_mut() {
                    if let Some(list) = requests.as_array_mut()
                        && list.len() >= 2
                    {
                        let rest = list.split_off(list.len() / 2);
                        self.0
                            .puts_left_unprocessed
                            .fetch_add(rest.len() as u32, Ordering::SeqCst);
                        withheld.insert(table.clone(), serde_json::Value::Array(rest));
                    }
                }
            }
            let (length, body) = json_body(&kept);
            request.headers_mut().insert("content-length", length);
            *request.body_mut() = body;
            planned = Planned::Unprocessed(serde_json::Value::Object(withheld));
        }
        cfg.interceptor_state().store_put(planned);
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let planned = cfg.load::<Planned>().cloned().unwrap_or(Planned::Nothing);
        let response = context.response_mut();
        match planned {
            Planned::Nothing => {}
            Planned::Throttle => {
                self.0.throttled.fetch_add(1, Ordering::SeqCst);
                *response.status_mut() = 400u16.try_into()?;
                let json = serde_json::json!({
                    "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                    "message": "injected fault: throughput exceeded",
                });
                let (length, body) = json_body(&json);
                response.headers_mut().insert("content-length", length);
                *response.body_mut() = body;
            }
            Planned::Unprocessed(withheld) => {
                let mut answer: serde_json::Value = response
                    .body()
                    .bytes()
                    .and_then(|b| serde_json::from_slice(b).ok())
                    .unwrap_or_else(|| serde_json::json!({}));
                answer["UnprocessedItems"] = withheld;
                let (length, body) = json_body(&answer);
                response.headers_mut().insert("content-length", length);
                *response.body_mut() = body;
            }
        }
        Ok(())
    }
}
