//! Cold start: starts a release build of each function against a Lambda Runtime API of our
//! own on loopback, 20 times, and prints the median (and worst) time from process start to
//! the first poll for an invocation and to the first response, beside a bare `lambda_http`
//! hello-world built the same way, and the size of each zipped package.
//!
//! Run with `infra/bench.sh`: it starts moto (which the functions' start-up connects to)
//! and builds this harness, `bootstrap` and the hello-world in one release build (an
//! example shares the release profile; a `cargo bench` target would build everything twice).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};

const RUNS: usize = 20;

#[derive(Default)]
struct Marks {
    first_poll: Option<Instant>,
    first_response: Option<Instant>,
    invocations: usize,
    error: Option<String>,
}

type Shared = Arc<Mutex<Marks>>;

fn event() -> serde_json::Value {
    serde_json::json!({
        "version": "2.0",
        "routeKey": "GET /v1/health",
        "rawPath": "/v1/health",
        "rawQueryString": "",
        "headers": {"host": "api.example.com", "accept": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "api.example.com",
            "domainPrefix": "api", "requestId": "bench-request", "routeKey": "GET /v1/health",
            "stage": "$default", "time": "23/Nov/2026:00:00:00 +0000", "timeEpoch": 1795000000000u64,
            "http": {"method": "GET", "path": "/v1/health", "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "bench"}
        },
        "isBase64Encoded": false
    })
}

async fn next(State(marks): State<Shared>) -> impl IntoResponse {
    let first = {
        let mut m = marks.lock().unwrap();
        m.first_poll.get_or_insert_with(Instant::now);
        m.invocations += 1;
        m.invocations == 1
    };
    if !first {
        // One invocation a run: hold the poll until the process is stopped.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", "bench-1".parse().unwrap());
    headers.insert(
        "lambda-runtime-deadline-ms",
        "9999999999999".parse().unwrap(),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:bench"
            .parse()
            .unwrap(),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".parse().unwrap(),
    );
    (headers, axum::Json(event()))
}

async fn response(State(marks): State<Shared>, body: String) -> StatusCode {
    let mut m = marks.lock().unwrap();
    m.first_response.get_or_insert_with(Instant::now);
    if !body.contains("200") && !body.contains("hello") && !body.contains("ok") {
        m.error = Some(format!("unexpected response: {body}"));
    }
    StatusCode::ACCEPTED
}

async fn error(State(marks): State<Shared>, body: String) -> StatusCode {
    marks.lock().unwrap().error = Some(body);
    StatusCode::ACCEPTED
}

async fn runtime_api() -> (SocketAddr, Shared) {
    let marks: Shared = Arc::default();
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(error))
        .with_state(marks.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (address, marks)
}

struct Sample {
    to_poll: Duration,
    to_response: Duration,
}

async fn start_once(binary: &Path, handler: &str) -> Result<Sample, String> {
    let (address, marks) = runtime_api().await;
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("_HANDLER", handler)
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("RUST_LOG", "warn")
        // As on Lambda (al2023), the root certificates are one bundle file, not a folder of
        // 150 files to open one by one (this machine's SSL_CERT_DIR).
        .env_remove("SSL_CERT_DIR")
        .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", binary.display()))?;
    let deadline = started + Duration::from_secs(20);
    let sample = loop {
        {
            let m = marks.lock().unwrap();
            if let Some(e) = &m.error {
                break Err(e.clone());
            }
            if let (Some(poll), Some(response)) = (m.first_poll, m.first_response) {
                break Ok(Sample {
                    to_poll: poll - started,
                    to_response: response - started,
                });
            }
        }
        if Instant::now() > deadline {
            break Err("no response within 20 s".into());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                use std::io::Read;
                let _ = e.read_to_string(&mut stderr);
            }
            break Err(format!("exited with {status}: {stderr}"));
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    };
    let _ = child.kill();
    let _ = child.wait();
    sample
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn zipped_size(binary: &Path) -> u64 {
    let bytes = std::fs::read(binary).unwrap();
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    archive.start_file("bootstrap", options).unwrap();
    archive.write_all(&bytes).unwrap();
    archive.finish().unwrap().into_inner().len() as u64
}

/// One first GetItem on a fresh connection to the emulator, as the function's warm-up does:
/// the part of the start-up that is the emulator's, not ours.
async fn warm_up_round_trip() -> Option<Duration> {
    let (Ok(endpoint), Ok(table)) = (
        std::env::var("AWS_ENDPOINT_URL"),
        std::env::var("SELFCARE_TABLE"),
    ) else {
        eprintln!("AWS_ENDPOINT_URL and SELFCARE_TABLE are not set: run through infra/bench.sh");
        return None;
    };
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let client = reqwest::Client::new();
        let started = Instant::now();
        let response = client
            .post(&endpoint)
            .header("x-amz-target", "DynamoDB_20120810.GetItem")
            .header("content-type", "application/x-amz-json-1.0")
            .header("authorization", "AWS4-HMAC-SHA256 Credential=bench/20261123/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
            .body(format!(r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"WARM-UP"}},"sk":{{"S":"WARM-UP"}}}}}}"#))
            .send()
            .await;
        match response {
            Ok(response) => drop(response.bytes().await),
            Err(e) => {
                eprintln!("the emulator did not answer: {e}");
                return None;
            }
        }
        samples.push(started.elapsed());
    }
    Some(median(samples))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

#[tokio::main]
async fn main() {
    // infra/bench.sh has built all three in one release build.
    let release = target_dir().join("release");
    let candidates = [
        (
            "bare lambda_http hello-world",
            release.join("examples/hello-lambda"),
            "",
        ),
        ("selfcare api-meta", release.join("bootstrap"), "api-meta"),
    ];
    println!(
        "cold start over {RUNS} runs each (release build, host architecture, loopback runtime API)"
    );
    println!(
        "{:<30} {:>14} {:>14} {:>14} {:>12}",
        "function", "to first poll", "to response", "worst resp.", "zipped"
    );
    let mut bare_response = None;
    for (name, binary, handler) in candidates {
        let mut polls = Vec::new();
        let mut responses = Vec::new();
        for _ in 0..RUNS {
            match start_once(&binary, handler).await {
                Ok(s) => {
                    polls.push(s.to_poll);
                    responses.push(s.to_response);
                }
                Err(e) => panic!("{name}: {e}"),
            }
        }
        let worst = *responses.iter().max().unwrap();
        let response = median(responses);
        println!(
            "{:<30} {:>11.2} ms {:>11.2} ms {:>11.2} ms {:>9.2} MB",
            name,
            median(polls).as_secs_f64() * 1000.0,
            response.as_secs_f64() * 1000.0,
            worst.as_secs_f64() * 1000.0,
            zipped_size(&binary) as f64 / 1_000_000.0
        );
        match bare_response {
            None => bare_response = Some(response),
            Some(bare) => println!(
                "{:<30} {:>14} {:>11.2}x   (target: at most 1.5x)",
                "",
                "",
                response.as_secs_f64() / bare.as_secs_f64()
            ),
        }
    }
    if let Some(round_trip) = warm_up_round_trip().await {
        println!(
            "of which the first GetItem on a new connection to the emulator: {:.2} ms (median)",
            round_trip.as_secs_f64() * 1000.0
        );
    }
}
