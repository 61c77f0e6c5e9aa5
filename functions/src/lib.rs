//! What the entry points share: the catalogue of functions and logging set-up.

/// Every Lambda function of the bundle: its handler name (`_HANDLER`, the template's
/// `Handler`) and what triggers it. The template declares exactly these; a test checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A group of HTTP endpoints behind the HTTP API.
    Http,
    /// The table's change stream.
    Stream,
    /// A schedule (EventBridge); the template says how often.
    Schedule,
    /// Objects created in the ingest bucket (S3 event notifications).
    Blob,
    /// Messages of a queue (SQS, through an event source mapping).
    Queue,
    /// A step of a state machine (the bill run's), with a JSON payload.
    Step,
}

/// The stream function: sends outbox mail as it is written.
pub const NOTIFIER: &str = "notifier";
/// The scheduled function: retries and recovers outbox mail.
pub const OUTBOX_SWEEP: &str = "outbox-sweep";
/// The bill run's planning step: reminders, then each provider's accounts in batches.
pub const BILL_RUN_PLAN: &str = "bill-run-plan";
/// The bill run's worker: bills one batch of accounts.
pub const BILL_RUN_BATCH: &str = "bill-run-batch";
/// The blob function: queues each usage file dropped in the ingest bucket in its
/// provider's line.
pub const USAGE_QUEUE: &str = "usage-queue";
/// The queue function: loads the usage files queued, one provider's at a time in order,
/// providers side by side.
pub const USAGE_INGEST: &str = "usage-ingest";
/// The stream's second reader: writes each issued invoice's and credit note's files to S3,
/// and the usage exports too large to write while a request waits.
pub const DOCUMENTS: &str = "documents";

pub fn catalogue() -> Vec<(&'static str, Trigger)> {
    let mut functions: Vec<(&'static str, Trigger)> = selfcare::http::GROUPS
        .iter()
        .map(|g| (g.function, Trigger::Http))
        .collect();
    functions.push((NOTIFIER, Trigger::Stream));
    functions.push((OUTBOX_SWEEP, Trigger::Schedule));
    functions.push((BILL_RUN_PLAN, Trigger::Step));
    functions.push((BILL_RUN_BATCH, Trigger::Step));
    functions.push((USAGE_QUEUE, Trigger::Blob));
    functions.push((USAGE_INGEST, Trigger::Queue));
    functions.push((DOCUMENTS, Trigger::Stream));
    functions
}

pub fn trigger_of(handler: &str) -> Option<Trigger> {
    catalogue()
        .into_iter()
        .find(|(name, _)| *name == handler)
        .map(|(_, t)| t)
}

/// The header the CloudFront distribution sets to the viewer's address (its viewer-request
/// function overwrites whatever a client sent under that name).
pub const VIEWER_HEADER: &str = "x-selfcare-viewer";
/// The header CloudFront adds on its way to the API, holding the stack's edge key: what
/// proves a request came through the distribution, so that its viewer header is true.
pub const EDGE_KEY_HEADER: &str = "x-selfcare-edge";

/// The client's address as sign-in throttling and audit entries should see it: the viewer's,
/// from the distribution's header, when the request proves it came through CloudFront (the
/// edge key matches, compared in constant time); otherwise the address API Gateway saw,
/// which behind CloudFront is CloudFront's. A client calling the API directly cannot choose
/// its address by sending the header: it does not hold the key.
pub fn client_address(
    edge_key: Option<&str>,
    presented_key: Option<&str>,
    viewer: Option<&str>,
    source_ip: Option<String>,
) -> Option<String> {
    use subtle::ConstantTimeEq;
    let proven = match (edge_key, presented_key) {
        (Some(key), Some(presented)) if !key.is_empty() => {
            bool::from(key.as_bytes().ct_eq(presented.as_bytes()))
        }
        _ => false,
    };
    match viewer.map(str::trim) {
        Some(viewer) if proven && viewer.parse::<std::net::IpAddr>().is_ok() => {
            Some(viewer.to_owned())
        }
        _ => source_ip,
    }
}

/// Structured logs: JSON lines in Lambda (CloudWatch indexes the fields), readable text
/// locally. `RUST_LOG` overrides the level.
pub fn init_tracing(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .without_time()
            .init();
    } else {
        builder.compact().init();
    }
    // Release builds abort on panic (see `selfcare::http::with_layers`): log it as a JSON
    // line first, so the bug is found in the logs beside its request.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!(panic = %info, "the process panicked");
        default(info);
    }));
}

#[cfg(test)]
mod tests {
    use super::client_address;

    #[test]
    fn the_viewers_address_is_believed_only_with_the_edge_key() {
        let edge = Some("k3y-of-the-stack");
        let through_cloudfront =
            client_address(edge, edge, Some("203.0.113.7"), Some("130.176.0.1".into()));
        assert_eq!(through_cloudfront.as_deref(), Some("203.0.113.7"));
        // A client calling the API directly, naming any address it likes.
        let forged = client_address(
            edge,
            Some("a guess"),
            Some("198.51.100.1"),
            Some("192.0.2.9".into()),
        );
        assert_eq!(forged.as_deref(), Some("192.0.2.9"));
        let no_key = client_address(edge, None, Some("198.51.100.1"), Some("192.0.2.9".into()));
        assert_eq!(no_key.as_deref(), Some("192.0.2.9"));
        // A stack without a key believes no header; a header that is no address is ignored.
        assert_eq!(
            client_address(
                Some(""),
                Some(""),
                Some("198.51.100.1"),
                Some("192.0.2.9".into())
            )
            .as_deref(),
            Some("192.0.2.9")
        );
        assert_eq!(
            client_address(edge, edge, Some("not an address"), Some("192.0.2.9".into())).as_deref(),
            Some("192.0.2.9")
        );
    }
}
