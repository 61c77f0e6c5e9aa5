//! The local runtime: every function's routes on one port over the embedded adapters, with
//! demo data, the local outbox and presigned downloads; the table's TTL swept on a schedule.
//!
//!     cargo run                      # http://127.0.0.1:3000, data in .data/local
//!     cargo run -- --listen 127.0.0.1:8080 --data-dir /tmp/selfcare --no-demo

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use selfcare::ports::ChangeFeed;
use selfcare_embedded::LocalPlatform;
use selfcare_functions::init_tracing;

#[derive(Parser)]
#[command(about = "Serve the whole selfcare product locally")]
struct Args {
    /// Where to listen.
    #[arg(long, env = "SELFCARE_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Where the table, buckets and outbox live (kept across restarts).
    #[arg(long, env = "SELFCARE_DATA_DIR", default_value = ".data/local")]
    data_dir: PathBuf,
    /// Run as if this many minutes later than the machine's clock: to see what a wait does
    /// (a usage file's load that stopped is shown as such after 20 minutes).
    #[arg(long, env = "SELFCARE_CLOCK_AHEAD_MINUTES", default_value_t = 0)]
    clock_ahead_minutes: u32,
    /// Rows a usage file's load takes at a time (to see a load stop between chunks
    /// without a file of hundreds of thousands of rows).
    #[arg(long, default_value_t = selfcare::domain::usage::ingest::CHUNK_ROWS)]
    usage_chunk_rows: usize,
    /// Start empty, without the demo tenants and accounts.
    #[arg(long, conflicts_with = "demo")]
    no_demo: bool,
    /// With --aws: seed the demo tenants and logins (known passwords) into the table. Never
    /// by default against AWS.
    #[arg(long)]
    demo: bool,
    /// The built web sites (`npm run build` in `web/`), served at `/` and `/console/`.
    #[arg(long, env = "SELFCARE_WEB_DIR", default_value = "web/dist")]
    web_dir: PathBuf,
    /// Use the AWS adapters instead of local disk: the variables a deployed function reads
    /// (SELFCARE_TABLE, SELFCARE_*_BUCKET, SELFCARE_CURSOR_KEY or its _SECRET), and
    /// AWS_ENDPOINT_URL for moto.
    #[arg(long)]
    aws: bool,
    /// Print the API's OpenAPI document and exit (the web sites' API types are generated
    /// from it: infra/api-types.sh).
    #[arg(long)]
    print_openapi: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    init_tracing(false);
    let args = Args::parse();
    if args.print_openapi {
        println!(
            "{}",
            serde_json::to_string_pretty(&selfcare::http::openapi_document())?
        );
        return Ok(());
    }
    let base_url = format!("http://{}", args.listen);
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    if args.aws {
        let platform = selfcare_aws::configured_platform().await?.platform;
        platform.warm_up().await?;
        // Demo logins have published passwords: into a real table only when asked.
        if args.demo {
            let created = selfcare::demo::seed(&platform).await?;
            tracing::info!(created, "demo data ready");
        }
        tracing::info!("selfcare is serving on {base_url} over the AWS adapters");
        let app = selfcare::http::app(platform.clone(), None)
            .merge(selfcare_embedded::routes::web_sites(
                &args.web_dir,
                platform,
            ))
            .layer(axum::middleware::from_fn(
                selfcare::http::access::client_from_socket,
            ));
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        return Ok(());
    }
    // Objects stored in the buckets are reported in-process, as S3 notifications would be.
    let (blob_events, mut blobs_created) = tokio::sync::mpsc::unbounded_channel();
    let mut local = LocalPlatform::open_with_clock(
        &args.data_dir,
        &base_url,
        Some(blob_events),
        std::sync::Arc::new(selfcare::ports::clock::AheadClock::minutes(
            args.clock_ahead_minutes,
        )),
    )?;
    local.platform.usage_chunk_rows = args.usage_chunk_rows.max(1);
    if !args.no_demo {
        let created = selfcare::demo::seed(&local.platform).await?;
        tracing::info!(created, "demo data ready");
    }

    // The table's stream, delivered in-process to the stream handlers, as Lambda would:
    // a batch is acknowledged once handled, and delivered again if any of it failed.
    let feed = local.table.change_feed("stream-handlers");
    let platform = local.platform.clone();
    tokio::spawn(async move {
        loop {
            match feed.next_changes().await {
                Ok(changes) if !changes.is_empty() => {
                    let mut failed = selfcare::events::on_changes(&platform, &changes).await;
                    failed.extend(selfcare::events::on_documents(&platform, &changes).await);
                    if failed.is_empty()
                        && let Some(last) = changes.last()
                        && let Err(error) = feed.acknowledge(last).await
                    {
                        tracing::warn!(%error, "acknowledging the stream failed");
                    }
                    if !failed.is_empty() {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
                Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                Err(error) => {
                    tracing::warn!(%error, "reading the stream failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });

    // The test gateway's webhooks, delivered in-process to the webhook handler as the
    // gateway would post them (signed; tried again after a pause when refused).
    let (deliveries, mut delivered) = tokio::sync::mpsc::unbounded_channel();
    local.gateway.deliver_to(deliveries);
    let platform = local.platform.clone();
    tokio::spawn(async move {
        while let Some(delivery) = delivered.recv().await {
            let Ok(tenant) = delivery.tenant.parse() else {
                continue;
            };
            let Ok(provider) = platform.tenants().get(&tenant).await else {
                continue;
            };
            for attempt in 1..=3 {
                match platform
                    .payments()
                    .webhook(&provider.slug, &delivery.signature, &delivery.body)
                    .await
                {
                    Ok(handled) => {
                        tracing::info!(?handled, "gateway webhook handled");
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(attempt, %error, "gateway webhook refused");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                }
            }
        }
    });

    // The ingest bucket's notifications, queued in each provider's line as the usage-queue
    // function does: one task per provider loads its files one at a time in arrival order,
    // providers side by side. A failed file is delivered again after a pause, three tries in
    // all, as the queue would; the provider's later files wait behind it meanwhile.
    let platform = local.platform.clone();
    tokio::spawn(async move {
        let mut lines = std::collections::HashMap::<
            selfcare::ids::TenantId,
            tokio::sync::mpsc::UnboundedSender<selfcare::events::QueuedUsageFile>,
        >::new();
        while let Some(created) = blobs_created.recv().await {
            if created.bucket != "ingest" {
                continue;
            }
            let Some(file) = selfcare::events::QueuedUsageFile::of(
                created.key.as_str(),
                created.version.as_deref(),
            ) else {
                continue;
            };
            let Some(tenant) = file.tenant() else {
                continue;
            };
            let line = lines.entry(tenant).or_insert_with(|| {
                let (line, mut queued) = tokio::sync::mpsc::unbounded_channel();
                let platform = platform.clone();
                tokio::spawn(async move {
                    while let Some(file) = queued.recv().await {
                        load_usage_file(&platform, &file).await;
                    }
                });
                line
            });
            let _ = line.send(file);
        }
    });

    // Schedules: the outbox sweep, the bill run, and the TTL sweep DynamoDB does by itself.
    let platform = local.platform.clone();
    let table = local.table.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            if let Err(error) = selfcare::events::sweep_outbox(&platform).await {
                tracing::warn!(%error, "sweeping the outbox failed");
            }
            if let Err(error) = table.purge_expired().await {
                tracing::warn!(%error, "purging expired items failed");
            }
            if let Err(error) = selfcare::events::bill_run(&platform).await {
                tracing::warn!(%error, "the bill run failed");
            }
        }
    });

    let app = selfcare::http::app(local.platform.clone(), None)
        .merge(selfcare_embedded::routes::outbox(local.outbox.clone()))
        .merge(selfcare_embedded::gateway::routes(local.gateway.clone()))
        .merge(selfcare_embedded::routes::blob_downloads(
            local.buckets.clone(),
        ))
        .merge(selfcare_embedded::routes::web_sites(
            &args.web_dir,
            local.platform.clone(),
        ))
        .layer(axum::middleware::from_fn(
            selfcare::http::access::client_from_socket,
        ));
    tracing::info!(
        "selfcare is serving on {base_url}: the portal at {base_url}/?tenant=acme, the console at \
         {base_url}/console/?tenant=acme, the API under /v1, mail at {base_url}/_local/outbox"
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// Loads one queued usage file, as the ingest function would be handed it: up to three
/// tries, a pause between.
async fn load_usage_file(
    platform: &selfcare::platform::Platform,
    file: &selfcare::events::QueuedUsageFile,
) {
    let body = serde_json::to_string(file).unwrap_or_default();
    for attempt in 1..=3 {
        match selfcare::events::on_queued_usage_file(platform, &body).await {
            Ok(result) => {
                tracing::info!(file = %file.key, ?result, "usage file handled");
                return;
            }
            Err(error) => {
                tracing::warn!(file = %file.key, attempt, %error, "usage file not loaded");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}
