//! The one Lambda binary. Every function in template.yaml runs this `bootstrap` and is told
//! which function it is by its handler name (`_HANDLER`), so a release build links once for
//! all functions. Clients are built, and (but for the API's own endpoints) the table
//! connection opened, before the first event.

use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_lambda_events::event::{dynamodb, s3, sqs};
use lambda_runtime::{LambdaEvent, service_fn};
use percent_encoding::percent_decode_str;
use selfcare::platform::Platform;
use selfcare_aws::changes_from_event;
use selfcare_functions::{
    BILL_RUN_BATCH, BILL_RUN_PLAN, DOCUMENTS, Trigger, init_tracing, trigger_of,
};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let handler = std::env::var("_HANDLER").unwrap_or_default();
    let trigger = trigger_of(&handler).ok_or_else(|| format!("no function named {handler:?}"))?;
    let selfcare_aws::Deployed {
        config,
        platform,
        sdk,
    } = selfcare_aws::configured_platform().await?;
    // Health and the OpenAPI document read no table: api-meta polls at once (its CORS
    // preflights, cached by browsers, pay for the connection when they come). Every other
    // function's first event reads the table, and the start-up's CPU makes the connection
    // cheaper than the first request would at 128 MB.
    if handler != selfcare::http::META_FUNCTION
        && let Err(error) = platform.warm_up().await
    {
        // Not fatal: the first request will try again.
        tracing::warn!(%error, "warming the table connection failed");
    }
    match trigger {
        Trigger::Http => {
            let edge_key = config.edge_key.map(std::sync::Arc::<str>::from);
            let app =
                selfcare::http::app(platform, Some(&handler)).layer(axum::middleware::from_fn(
                    move |request, next| client_from_api_gateway(edge_key.clone(), request, next),
                ));
            lambda_http::run(app).await
        }
        Trigger::Stream => {
            let platform = &platform;
            let handler = handler.as_str();
            lambda_runtime::run(service_fn(
                move |event: LambdaEvent<dynamodb::Event>| async move {
                    on_stream(platform, handler, event.payload).await
                },
            ))
            .await
        }
        Trigger::Step if handler == BILL_RUN_PLAN => {
            let platform = &platform;
            lambda_runtime::run(service_fn(
                move |_: LambdaEvent<serde_json::Value>| async move {
                    let planned = selfcare::events::plan_bill_runs(platform).await?;
                    tracing::info!(batches = planned.batches, "bill runs planned");
                    Ok::<_, lambda_runtime::Error>(planned)
                },
            ))
            .await
        }
        Trigger::Step => {
            debug_assert_eq!(handler, BILL_RUN_BATCH);
            let platform = &platform;
            lambda_runtime::run(service_fn(
                move |event: LambdaEvent<selfcare::domain::billing::run::RunBatch>| async move {
                    let batch = event.payload;
                    selfcare::events::bill_batch(platform, &batch).await?;
                    tracing::info!(tenant = %batch.tenant, batch = batch.batch,
                        accounts = batch.accounts.len(), "bill run batch billed");
                    Ok::<(), lambda_runtime::Error>(())
                },
            ))
            .await
        }
        Trigger::Schedule => {
            let platform = &platform;
            lambda_runtime::run(service_fn(
                move |_: LambdaEvent<serde_json::Value>| async move {
                    let outcomes = selfcare::events::sweep_outbox(platform).await?;
                    tracing::info!(handled = outcomes.len(), "outbox swept");
                    Ok::<(), lambda_runtime::Error>(())
                },
            ))
            .await
        }
        Trigger::Blob => {
            let queue = selfcare_aws::UsageFileQueue::new(
                aws_sdk_sqs::Client::new(&sdk),
                std::env::var("SELFCARE_USAGE_QUEUE_URL")
                    .map_err(|_| "SELFCARE_USAGE_QUEUE_URL is not set")?,
            );
            let queue = &queue;
            lambda_runtime::run(service_fn(
                move |event: LambdaEvent<s3::S3Event>| async move {
                    for record in &event.payload.records {
                        // S3 sends keys URL-encoded, with '+' for spaces.
                        let raw = record.s3.object.key.clone().unwrap_or_default();
                        let key = percent_decode_str(&raw.replace('+', " "))
                            .decode_utf8_lossy()
                            .into_owned();
                        let version = record.s3.object.version_id.as_deref();
                        let Some(file) = selfcare::events::QueuedUsageFile::of(&key, version)
                        else {
                            continue;
                        };
                        queue
                            .send(&file, record.s3.object.sequencer.as_deref())
                            .await?;
                        tracing::info!(file = %key, "usage file queued");
                    }
                    Ok::<(), lambda_runtime::Error>(())
                },
            ))
            .await
        }
        Trigger::Queue => {
            let platform = &platform;
            lambda_runtime::run(service_fn(
                move |event: LambdaEvent<sqs::SqsEvent>| async move {
                    // One message a batch (the template's BatchSize): a failure leaves it,
                    // and the provider's later files, queued until it is delivered again.
                    let mut response = sqs::SqsBatchResponse::default();
                    for message in &event.payload.records {
                        let body = message.body.as_deref().unwrap_or_default();
                        match selfcare::events::on_queued_usage_file(platform, body).await {
                            Ok(result) => tracing::info!(?result, "usage file handled"),
                            Err(error) => {
                                tracing::warn!(%error, "usage file not loaded; delivered again");
                                let mut failure = sqs::BatchItemFailure::default();
                                failure.item_identifier =
                                    message.message_id.clone().unwrap_or_default();
                                response.batch_item_failures.push(failure);
                            }
                        }
                    }
                    Ok::<_, lambda_runtime::Error>(response)
                },
            ))
            .await
        }
    }
}

/// Hands a stream batch to its handler (the notifier's, or the documents': invoice files
/// and export jobs) and reports the records it could not handle, so Lambda delivers those again
/// (the template turns on ReportBatchItemFailures).
async fn on_stream(
    platform: &Platform,
    handler: &str,
    event: dynamodb::Event,
) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
    let changes = changes_from_event(&event)?;
    let failed = match handler {
        DOCUMENTS => selfcare::events::on_documents(platform, &changes).await,
        _ => selfcare::events::on_changes(platform, &changes).await,
    };
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failed
        .iter()
        .map(|change| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(change.sequence.clone());
            failure
        })
        .collect();
    Ok(response)
}

/// The client's address for throttling and the audit trail: the viewer's when the request
/// proves it came through the stack's CloudFront distribution, else API Gateway's view.
async fn client_from_api_gateway(
    edge_key: Option<std::sync::Arc<str>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use lambda_http::RequestExt;
    use lambda_http::request::RequestContext;
    let source_ip = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    let headers = request.headers();
    let presented = headers
        .get(selfcare_functions::EDGE_KEY_HEADER)
        .and_then(|v| v.to_str().ok());
    let viewer = headers
        .get(selfcare_functions::VIEWER_HEADER)
        .and_then(|v| v.to_str().ok());
    let address =
        selfcare_functions::client_address(edge_key.as_deref(), presented, viewer, source_ip);
    if let Some(address) = address {
        request
            .extensions_mut()
            .insert(selfcare::http::access::ClientAddress(address));
    }
    next.run(request).await
}
