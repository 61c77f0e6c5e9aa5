//! The request's log lines, read back: a binary of its own, since a subscriber set for one
//! test thread misses lines when the suite's other tests first reach the same call sites on
//! their threads (tracing caches whether a call site is of interest across threads).

#[path = "common/mod.rs"]
mod common;

#[tokio::test]
async fn every_log_line_of_a_request_names_its_function_tenant_and_principal() {
    use crate::common::{Auth, World};
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let writer = lines.clone();
    // As the Lambda entry point writes them (selfcare_functions::init_tracing).
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.owner(&acme, &account, "sam", "sam's long password").await;
    let sam = w.token("acme", "sam", "sam's long password").await;
    let me = w
        .call("GET", "/v1/portal/me", "acme", Auth::Bearer(&sam), None)
        .await;
    let login = me.body["login"].as_str().unwrap().to_owned();

    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let served = |path: &str| -> serde_json::Value {
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|l| l["message"] == "served" && l["span"]["path"] == path)
            .unwrap_or_else(|| panic!("no served line for {path}: {text}"))
    };
    let read = served("/v1/portal/me");
    assert_eq!(read["span"]["tenant"], acme.id.to_string());
    assert_eq!(read["span"]["principal"], login);
    assert_eq!(read["span"]["function"], "every-group");
    assert_eq!(
        read["span"]["request_id"],
        me.headers["x-request-id"].to_str().unwrap()
    );
    let sign_in = served("/v1/auth/sign-in");
    assert_eq!(sign_in["span"]["principal"], "anonymous");
}
