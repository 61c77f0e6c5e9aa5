//! The world the HTTP tests run in: a local platform on a temporary folder, a counting
//! table, a clock that stands still, and helpers to call the API as a site or client would.

#![allow(dead_code)]

pub mod usage_fixture;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use selfcare::domain::accounts::{AccountKind, NewAccount};
use selfcare::domain::identity::{Login, Permission};
use selfcare::domain::tenancy::{NewTenant, Tenant, TenantKind};
use selfcare::platform::Platform;
use selfcare::ports::ManualClock;
use selfcare::ports::counting::CountingTable;
use selfcare::ports::table::{Index, Query, Value};
use selfcare_embedded::LocalPlatform;
use serde_json::Value as Json;
use serde_json::json;
use tower::ServiceExt;

pub const STAFF_PASSWORD: &str = "staff password for tests";

pub struct World {
    pub platform: Platform,
    /// The test gateway (its webhooks are collected by tests that ask for them).
    pub gateway: Arc<selfcare_embedded::EmbeddedGateway>,
    pub counting: Arc<CountingTable>,
    /// Stands still until a test moves it (one-time codes, expiry).
    pub clock: Arc<ManualClock>,
    pub app: axum::Router,
    /// The embedded table itself, for its change stream.
    pub local_table: Arc<selfcare_embedded::EmbeddedTable>,
    /// The mail the platform has sent (the local outbox folder).
    pub sent_mail: Arc<selfcare_embedded::LocalOutbox>,
    /// What the buckets report as objects are stored (the local runtime's notifications).
    blobs_created: tokio::sync::Mutex<
        tokio::sync::mpsc::UnboundedReceiver<selfcare::ports::blobs::BlobCreated>,
    >,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Json,
    pub text: String,
}

impl World {
    /// The world on the embedded adapters.
    pub async fn new() -> World {
        Self::build(None).await
    }

    /// The same world with its table on DynamoDB (moto, started by infra/test.sh; the URL
    /// in `SELFCARE_MOTO_URL`, a fresh table each time): for the rules that stand on the
    /// table's conditions and transactions, so they hold on the AWS adapter too. Blobs and
    /// mail stay local, and the table's stream is not delivered.
    pub async fn on_dynamodb() -> World {
        let url = std::env::var("SELFCARE_MOTO_URL")
            .expect("SELFCARE_MOTO_URL is not set: run the tests with infra/test.sh");
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(url)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load()
            .await;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let name = format!("suite-{}", ulid::Ulid::new().to_string().to_lowercase());
        selfcare_aws::ensure_table(&client, &name).await.unwrap();
        Self::build(Some((client, name))).await
    }

    async fn build(dynamodb: Option<(aws_sdk_dynamodb::Client, String)>) -> World {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::at(time::OffsetDateTime::now_utc()));
        let (sender, blobs_created) = tokio::sync::mpsc::unbounded_channel();
        let local = LocalPlatform::open_with_clock(
            dir.path(),
            "http://127.0.0.1:3000",
            Some(sender),
            clock.clone(),
        )
        .unwrap();
        let table: Arc<dyn selfcare::ports::Table> = match dynamodb {
            Some((client, name)) => {
                Arc::new(selfcare_aws::DynamoTable::new(client, name, clock.clone()))
            }
            None => local.platform.table.clone(),
        };
        let counting = Arc::new(CountingTable::new(table));
        let mut platform = local.platform.clone();
        platform.table = counting.clone();
        // The local runtime's routes too: presigned downloads are served there.
        let app = selfcare::http::app(platform.clone(), None)
            .merge(selfcare_embedded::routes::blob_downloads(
                local.buckets.clone(),
            ))
            .merge(selfcare_embedded::gateway::routes(local.gateway.clone()));
        World {
            platform,
            gateway: local.gateway.clone(),
            counting,
            clock,
            app,
            local_table: local.table.clone(),
            sent_mail: local.outbox.clone(),
            blobs_created: tokio::sync::Mutex::new(blobs_created),
            _dir: dir,
        }
    }

    /// Delivers the table's changes since `reader` last read to the stream handlers (the
    /// notifier's forgot-password answers, the documents' invoice files and export jobs; the
    /// outbox's mail is read from the table as written), as the local runtime and Lambda do.
    pub async fn deliver_changes(&self, reader: &str) {
        use selfcare::ports::ChangeFeed;
        let feed = self.local_table.change_feed(reader);
        loop {
            let changes = feed.next_changes().await.unwrap();
            let Some(last) = changes.last() else { return };
            let failed = selfcare::events::on_password_help(&self.platform, &changes).await;
            assert!(failed.is_empty(), "forgot-password requests failed");
            let failed = selfcare::events::on_documents(&self.platform, &changes).await;
            assert!(failed.is_empty(), "invoice files or export jobs failed");
            feed.acknowledge(last).await.unwrap();
        }
    }

    /// Loads the usage files stored since the last call, each version as the bucket's
    /// notification names it (as the local runtime and Lambda do); their results.
    pub async fn deliver_usage_files(&self) -> Vec<selfcare::domain::usage::ingest::IngestResult> {
        let mut results = Vec::new();
        let mut events = self.blobs_created.lock().await;
        while let Ok(created) = events.try_recv() {
            if created.bucket != "ingest" {
                continue;
            }
            // As the usage-queue function queues it and the ingest function is handed it.
            let Some(file) = selfcare::events::QueuedUsageFile::of(
                created.key.as_str(),
                created.version.as_deref(),
            ) else {
                continue;
            };
            let message = serde_json::to_string(&file).unwrap();
            let result = selfcare::events::on_queued_usage_file(&self.platform, &message)
                .await
                .unwrap();
            results.extend(result);
        }
        results
    }

    /// What the buckets reported since the last call, without loading anything: for tests
    /// that hand a file over themselves (to a crashing ingest, say).
    pub async fn take_blob_events(&self) -> Vec<selfcare::ports::blobs::BlobCreated> {
        let mut events = self.blobs_created.lock().await;
        std::iter::from_fn(|| events.try_recv().ok()).collect()
    }

    pub async fn tenant(&self, slug: &str) -> Tenant {
        self.platform
            .tenants()
            .create(NewTenant {
                kind: TenantKind::Retail,
                name: format!("{slug} Telecom"),
                slug: slug.into(),
                wholesaler: None,
            })
            .await
            .unwrap()
    }

    pub async fn staff(&self, tenant: &Tenant, username: &str, permissions: &[Permission]) {
        self.platform
            .identity()
            .credentials
            .create_staff_with_password(
                &tenant.id,
                username,
                &format!("{username}@{}.example", tenant.slug),
                "Staff Member",
                STAFF_PASSWORD,
                permissions.iter().copied().collect(),
            )
            .await
            .unwrap();
    }

    pub async fn account(
        &self,
        tenant: &Tenant,
        name: &str,
        email: &str,
        group: Option<&str>,
    ) -> String {
        self.platform
            .accounts()
            .create(
                tenant,
                NewAccount {
                    kind: AccountKind::EndUser,
                    number: None,
                    name: name.into(),
                    billing_address: None,
                    phones: vec![],
                    emails: vec![email.into()],
                    attributes: BTreeMap::new(),
                    group: group.map(str::to_owned),
                },
                None,
            )
            .await
            .unwrap()
            .id
            .to_string()
    }

    /// Gives an account its owner login with a password, as using the credential-create
    /// link would.
    pub async fn owner(
        &self,
        tenant: &Tenant,
        account: &str,
        username: &str,
        password: &str,
    ) -> Login {
        self.platform
            .identity()
            .credentials
            .create_owner_with_password(&tenant.id, &account.parse().unwrap(), username, password)
            .await
            .unwrap()
    }

    pub async fn get(&self, uri: &str, tenant: &str, auth: Auth<'_>) -> Reply {
        self.call("GET", uri, tenant, auth, None).await
    }

    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        tenant: &str,
        auth: Auth<'_>,
        body: Option<Json>,
    ) -> Reply {
        self.call_with(method, uri, tenant, auth, body, &[]).await
    }

    /// A request with a body as it is (a form, a webhook's raw JSON).
    pub async fn raw(
        &self,
        method: &str,
        uri: &str,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", content_type);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Json::Null),
            text,
        }
    }

    /// [`World::call`] with headers of its own (an `Idempotency-Key`).
    pub async fn call_with(
        &self,
        method: &str,
        uri: &str,
        tenant: &str,
        auth: Auth<'_>,
        body: Option<Json>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header("x-selfcare-tenant", tenant);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        match auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                request = request.header("authorization", format!("Bearer {token}"))
            }
            Auth::Cookie(token, csrf) => {
                request = request.header("cookie", format!("__Host-selfcare_session={token}"));
                if let Some(csrf) = csrf {
                    request = request.header("x-csrf-token", csrf);
                }
            }
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Json::Null),
            text,
        }
    }

    /// Signs in for a bearer token.
    pub async fn sign_in(&self, tenant: &str, username: &str, password: &str) -> Reply {
        self.call(
            "POST",
            "/v1/auth/sign-in",
            tenant,
            Auth::None,
            Some(json!({"username": username, "password": password, "session": "bearer"})),
        )
        .await
    }

    pub async fn token(&self, tenant: &str, username: &str, password: &str) -> String {
        let reply = self.sign_in(tenant, username, password).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["token"].as_str().unwrap().to_owned()
    }

    /// The messages in the outbox (sent or not) to `to` about `purpose`, oldest first, as
    /// their decoded text.
    pub async fn mail(&self, to: &str, purpose: &str) -> Vec<String> {
        let page = self
            .platform
            .table
            .query(Query::partition(Index::Gsi2, "OUTBOX_DUE").limit(100))
            .await
            .unwrap();
        page.items
            .iter()
            .filter(|m| m.get("purpose").and_then(Value::as_s) == Some(purpose))
            .filter(|m| match m.get("to") {
                Some(Value::L(list)) => list.iter().any(|v| v.as_s() == Some(to)),
                _ => false,
            })
            .map(|m| match m.get("raw") {
                Some(Value::B(raw)) => unfold(&String::from_utf8_lossy(raw)),
                _ => String::new(),
            })
            .collect()
    }

    pub async fn link_token(&self, to: &str, purpose: &str) -> String {
        let mail = self.mail(to, purpose).await;
        let text = mail
            .last()
            .unwrap_or_else(|| panic!("no {purpose} mail to {to}"));
        let start = text.find("#token=").expect("the mail carries a link") + "#token=".len();
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }

    /// Follows the last credential-create link mailed to `to` on `tenant`'s portal,
    /// choosing `username` and `password`: the reply (201 with the new login's id).
    pub async fn set_up_invited(
        &self,
        tenant: &str,
        to: &str,
        username: &str,
        password: &str,
    ) -> Reply {
        let link = self.link_token(to, "credential-create").await;
        self.call(
            "POST",
            "/v1/auth/credentials",
            tenant,
            Auth::None,
            Some(serde_json::json!({"token": link, "username": username, "password": password})),
        )
        .await
    }
}

/// Undoes quoted-printable soft breaks and `=3D`, enough to read links in a message.
pub fn unfold(raw: &str) -> String {
    raw.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Bearer(&'a str),
    Cookie(&'a str, Option<&'a str>),
}

pub const ALL: &[Permission] = &Permission::ALL;
