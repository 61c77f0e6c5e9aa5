//! Identity benchmarks (figures for the README; run by infra/bench.sh, release build):
//!
//! 1. argon2id at t=2, m=19 MiB, p=1: the time of one verification on this machine, one at
//!    a time and with every core busy, and the Lambda memory size that keeps sign-in under
//!    150 ms (Lambda's CPU share grows with memory: 1,769 MB is one full vCPU).
//! 2. An authenticated read through the local runtime over loopback HTTP
//!    (`GET /v1/portal/account` with a bearer token): p50 and p99 over 2,000 requests.
//! 3. A wrong password for a username that exists against one that does not, interleaved
//!    (each name tried once, from an address of its own): the medians should not differ.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use selfcare::domain::accounts::{AccountKind, NewAccount};
use selfcare::domain::identity::passwords::Hasher;
use selfcare::domain::tenancy::{NewTenant, TenantKind};
use selfcare_embedded::LocalPlatform;

const TARGET_MS: f64 = 150.0;
const ONE_VCPU_MB: f64 = 1769.0;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Password verification.
    let hasher = Hasher::new(1);
    let stored = hasher.hash("correct horse battery staple").await?;
    let mut one_at_a_time = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        assert!(
            hasher
                .verify("correct horse battery staple", &stored)
                .await?
        );
        one_at_a_time.push(started.elapsed());
    }
    one_at_a_time.sort();
    let median = percentile(&one_at_a_time, 0.5);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bounded = Hasher::new(cores);
    let started = Instant::now();
    let burst: Vec<_> = (0..40)
        .map(|_| {
            let hasher = bounded.clone();
            let stored = stored.clone();
            tokio::spawn(async move { hasher.verify("wrong guess", &stored).await })
        })
        .collect();
    for task in burst {
        task.await??;
    }
    let burst_seconds = started.elapsed().as_secs_f64();
    // Below one vCPU, Lambda gives a function CPU in proportion to its memory.
    let needed_mb = (ONE_VCPU_MB * median / TARGET_MS).max(128.0);
    let suggested_mb = (needed_mb / 64.0).ceil() * 64.0;
    println!("argon2id t=2 m=19456 KiB p=1");
    println!(
        "  one verification:        median {median:.1} ms, worst {:.1} ms (20 runs)",
        percentile(&one_at_a_time, 1.0)
    );
    println!(
        "  40 at once, {cores} permits:   {:.1} verifications/s, peak hash memory {} MiB",
        40.0 / burst_seconds,
        19 * cores
    );
    println!(
        "  Lambda memory for < {TARGET_MS} ms, if a Lambda vCPU is as fast as one core here: \
         {suggested_mb:.0} MB (needs {needed_mb:.0})"
    );

    // 2. An authenticated read through the local runtime.
    let dir = tempfile::tempdir()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let local = LocalPlatform::open(dir.path(), &base, None)?;
    let platform = local.platform.clone();
    let tenant = platform
        .tenants()
        .create(NewTenant {
            kind: TenantKind::Retail,
            name: "Bench Telecom".into(),
            slug: "bench".into(),
            wholesaler: None,
        })
        .await?;
    let account = platform
        .accounts()
        .create(
            &tenant,
            NewAccount {
                kind: AccountKind::EndUser,
                number: None,
                name: "Bench Customer".into(),
                billing_address: None,
                phones: vec![],
                emails: vec!["bench@example.com".into()],
                attributes: BTreeMap::new(),
                group: None,
            },
            None,
        )
        .await?;
    platform
        .identity()
        .credentials
        .create_owner_with_password(&tenant.id, &account.id, "bench", "a bench password here")
        .await?;
    let app = selfcare::http::app(platform.clone(), None).layer(axum::middleware::from_fn(
        selfcare::http::access::client_from_socket,
    ));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let client = reqwest::Client::new();
    let signed_in: serde_json::Value = client
        .post(format!("{base}/v1/auth/sign-in"))
        .header("x-selfcare-tenant", "bench")
        .json(&serde_json::json!({"username": "bench", "password": "a bench password here", "session": "bearer"}))
        .send()
        .await?
        .json()
        .await?;
    let token = signed_in["token"]
        .as_str()
        .ok_or("sign-in failed")?
        .to_owned();
    let read = || {
        client
            .get(format!("{base}/v1/portal/account"))
            .header("x-selfcare-tenant", "bench")
            .bearer_auth(&token)
            .send()
    };
    for _ in 0..100 {
        read().await?.error_for_status()?;
    }
    let mut latencies = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let started = Instant::now();
        read().await?.error_for_status()?.bytes().await?;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    println!(
        "GET /v1/portal/account, bearer session, local runtime over loopback (2,000 requests)"
    );
    println!(
        "  p50 {:.3} ms, p99 {:.3} ms, worst {:.3} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );

    // 3. Known and unknown usernames, wrong password: the same work on both paths.
    let identity = platform.identity();
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for n in 0..60 {
        let username = format!("known{n}");
        identity
            .credentials
            .create_staff_with_password(
                &tenant.id,
                &username,
                &format!("{username}@bench.example"),
                "Bench Staff",
                "a bench password here",
                Default::default(),
            )
            .await?;
        for (name, out) in [
            (username.clone(), &mut known),
            (format!("nobody{n}"), &mut unknown),
        ] {
            let started = Instant::now();
            let refused = identity
                .sign_in
                .sign_in(
                    &tenant.id,
                    &name,
                    "a wrong password",
                    &format!("10.9.{n}.{}", out.len()),
                )
                .await;
            if refused.is_ok() {
                return Err("a wrong password signed in".into());
            }
            out.push(started.elapsed());
        }
    }
    // The first few warm caches and the hash permits.
    let (known, unknown) = (&mut known[10..].to_vec(), &mut unknown[10..].to_vec());
    known.sort();
    unknown.sort();
    println!("sign-in with a wrong password, known vs unknown username (50 each, interleaved)");
    println!(
        "  median {:.2} ms vs {:.2} ms; p90 {:.2} ms vs {:.2} ms",
        percentile(known, 0.5),
        percentile(unknown, 0.5),
        percentile(known, 0.9),
        percentile(unknown, 0.9)
    );
    Ok(())
}
