//! The one Lambda binary. Every function in template.yaml runs this `bootstrap` and is told
//! which function it is by its handler name (`_HANDLER`), so a release build links once for
//! all functions. Clients are built, and the table connection opened, before the first event.

use selfcare::config::AwsConfig;
use selfcare::platform::Platform;
use selfcare_functions::{Trigger, init_tracing, trigger_of};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing(true);
    let handler = std::env::var("_HANDLER").unwrap_or_default();
    let trigger = trigger_of(&handler).ok_or_else(|| format!("no function named {handler:?}"))?;
    let config = AwsConfig::from_env()?;
    let platform = Platform::aws(&config).await;
    if let Err(error) = platform.warm_up().await {
        // Not fatal: the first request will try again.
        tracing::warn!(%error, "warming the table connection failed");
    }
    match trigger {
        Trigger::Http => lambda_http::run(selfcare::http::app(platform, Some(&handler))).await,
    }
}
