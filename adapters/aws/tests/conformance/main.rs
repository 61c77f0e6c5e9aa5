//! One contract suite per port, run against every adapter: embedded (local disk) and AWS
//! (against moto, started by `infra/test.sh`, whose URL arrives in `SELFCARE_MOTO_URL`).

mod support;

mod blobs;
mod config;
mod mailer;
mod table;
mod usage_queue;

/// Runs each named case against each adapter: `contract!(table: case_a, case_b);`
/// makes `embedded::case_a`, `aws::case_a`, … each with a fresh fixture of its own.
#[macro_export]
macro_rules! contract {
    ($fixture:ident: $($case:ident),* $(,)?) => {
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = $crate::support::$fixture::embedded().await;
                    super::$case(&fixture).await;
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = $crate::support::$fixture::aws().await;
                    super::$case(&fixture).await;
                }
            )*
        }
    };
}
