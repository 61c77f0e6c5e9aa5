//! The API's manners, driven as a client would (oneshot requests through the whole app).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use selfcare_embedded::LocalPlatform;
use tower::ServiceExt;

async fn call(
    method: &str,
    uri: &str,
    header: Option<(&str, &str)>,
) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let local = LocalPlatform::open(dir.path(), "http://127.0.0.1:3000", None).unwrap();
    let app = selfcare::http::app(local.platform.clone(), None);
    let mut request = Request::builder().method(method).uri(uri);
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    let response = app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn the_health_check_answers_with_a_request_id() {
    let (status, headers, body) = call("GET", "/v1/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let id = headers["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 26, "a ULID: {id}");
}

#[tokio::test]
async fn a_clients_request_id_is_not_taken_as_ours() {
    let (_, headers, _) = call("GET", "/v1/health", Some(("x-request-id", "client-chosen"))).await;
    assert_ne!(headers["x-request-id"], "client-chosen");
}

#[tokio::test]
async fn an_unknown_route_is_a_problem_not_an_empty_404() {
    let (status, headers, body) = call("GET", "/v1/no-such-thing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["type"], "/problems/route-not-found");
    assert_eq!(body["status"], 404);
}

#[tokio::test]
async fn a_wrong_method_is_a_problem_with_the_allowed_ones() {
    let (status, headers, body) = call("DELETE", "/v1/health", None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["type"], "/problems/method-not-allowed");
    assert!(headers["allow"].to_str().unwrap().contains("GET"));
}

#[tokio::test]
async fn the_openapi_document_is_served_as_openapi_3_1() {
    let (status, _, body) = call("GET", "/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(body["paths"]["/v1/health"]["get"].is_object());
    assert!(body["paths"]["/v1/openapi.json"]["get"].is_object());
}

/// Every route, called without a session (with the ids in its path made up and an empty
/// JSON body): the routes the document calls public answer without one, the others 401,
/// and whatever each answers is a status its entry lists, as problem+json when a problem.
#[tokio::test]
async fn every_route_without_a_session_answers_what_the_document_lists() {
    use selfcare::domain::tenancy::{NewTenant, TenantKind};
    let dir = tempfile::tempdir().unwrap();
    let local = LocalPlatform::open(dir.path(), "http://127.0.0.1:3000", None).unwrap();
    local
        .platform
        .tenants()
        .create(NewTenant {
            kind: TenantKind::Retail,
            name: "Acme Telecom".into(),
            slug: "acme".into(),
            wholesaler: None,
        })
        .await
        .unwrap();
    let app = selfcare::http::app(local.platform.clone(), None);
    let document = selfcare::http::openapi_document();
    let mut checked = 0;
    for (path, operations) in document["paths"].as_object().unwrap() {
        let uri: String = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    "01JD0000000000000000000000"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, operation) in operations.as_object().unwrap() {
            let mut request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header("x-selfcare-tenant", "acme");
            let body = if operation.get("requestBody").is_some() {
                request = request.header("content-type", "application/json");
                Body::from("{}")
            } else {
                Body::empty()
            };
            let response = app
                .clone()
                .oneshot(request.body(body).unwrap())
                .await
                .unwrap();
            let status = response.status().as_u16();
            let listed = &operation["responses"];
            let public = selfcare::http::document::PUBLIC.contains(&path.as_str());
            assert_eq!(
                status == 401,
                !public,
                "{method} {path} answered {status} without a session"
            );
            assert!(
                listed.get(status.to_string()).is_some(),
                "{method} {path} answered {status}, which its entry does not list"
            );
            if status >= 400 {
                assert_eq!(
                    response.headers()["content-type"],
                    "application/problem+json",
                    "{method} {path}"
                );
                assert!(
                    listed[status.to_string()]["content"]
                        .get("application/problem+json")
                        .is_some(),
                    "{method} {path}: {status} is documented as problem+json"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} operations");
}

#[tokio::test]
async fn the_document_states_the_paging_and_month_constraints_the_server_checks() {
    let document = selfcare::http::openapi_document();
    let parameters =
        &document["paths"]["/v1/portal/services/{service}/usage/records"]["get"]["parameters"];
    let find = |name: &str| {
        parameters
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["schema"]
            .clone()
    };
    assert_eq!(find("limit")["minimum"], 1);
    assert_eq!(find("limit")["maximum"], 100);
    assert_eq!(find("period")["pattern"], "^[0-9]{4}-(0[1-9]|1[0-2])$");
    // And the server checks exactly these.
    use selfcare::domain::paging::PageRequest;
    use selfcare::domain::usage::Period;
    for (limit, accepted) in [(0, false), (1, true), (100, true), (101, false)] {
        assert_eq!(
            PageRequest::first(limit).limit().is_ok(),
            accepted,
            "limit {limit}"
        );
    }
    for (period, accepted) in [("2026-11", true), ("2026-13", false), ("2026-1", false)] {
        assert_eq!(Period::parse(period).is_some(), accepted, "{period}");
    }
}

/// The problem types the code answers (every `Problem::new(StatusCode::…, "slug", …)` in the
/// source), read from the source itself.
fn problem_types_in_source() -> std::collections::BTreeMap<String, u16> {
    use axum::http::StatusCode;
    fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut sources = Vec::new();
    // The domain crate's API and the local runtime's own routes (its download links).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["src", "../adapters/embedded/src"] {
        walk(&root.join(dir), &mut sources);
    }
    let mut found = std::collections::BTreeMap::new();
    for source in &sources {
        for (at, _) in source.match_indices("Problem::new(") {
            let rest: String = source[at + "Problem::new(".len()..]
                .chars()
                .filter(|c| !c.is_whitespace())
                .take(120)
                .collect();
            let Some(rest) = rest.strip_prefix("StatusCode::") else {
                continue;
            };
            let (name, rest) = rest.split_once(',').unwrap();
            let Some(slug) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) else {
                continue;
            };
            let status = match name {
                "BAD_REQUEST" => StatusCode::BAD_REQUEST,
                "UNAUTHORIZED" => StatusCode::UNAUTHORIZED,
                "FORBIDDEN" => StatusCode::FORBIDDEN,
                "NOT_FOUND" => StatusCode::NOT_FOUND,
                "METHOD_NOT_ALLOWED" => StatusCode::METHOD_NOT_ALLOWED,
                "CONFLICT" => StatusCode::CONFLICT,
                "GONE" => StatusCode::GONE,
                "UNPROCESSABLE_ENTITY" => StatusCode::UNPROCESSABLE_ENTITY,
                "LOCKED" => StatusCode::LOCKED,
                "TOO_MANY_REQUESTS" => StatusCode::TOO_MANY_REQUESTS,
                "INTERNAL_SERVER_ERROR" => StatusCode::INTERNAL_SERVER_ERROR,
                "SERVICE_UNAVAILABLE" => StatusCode::SERVICE_UNAVAILABLE,
                other => panic!("a status this test does not know: {other}"),
            };
            found.insert(slug.to_owned(), status.as_u16());
        }
    }
    found
}

#[test]
fn the_conventions_page_lists_every_problem_type_the_code_answers_and_no_other() {
    let page = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/http-conventions.md"),
    )
    .unwrap();
    let mut documented = std::collections::BTreeMap::new();
    for line in page.lines().filter(|l| l.starts_with("| `/problems/")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let status: u16 = cells[2].parse().unwrap();
        for slug in cells[1].split(" / ") {
            let slug = slug.trim_matches('`').trim_start_matches("/problems/");
            documented.insert(slug.to_owned(), status);
        }
    }
    let answered = problem_types_in_source();
    assert!(answered.len() > 40, "{answered:?}");
    assert_eq!(documented, answered);
}

#[tokio::test]
async fn a_problem_answers_in_the_language_the_site_asks_for() {
    use crate::common::{Auth, World};
    use serde_json::json;
    let w = World::new().await;
    w.tenant("acme").await;
    let wrong = json!({"username": "nobody", "password": "not a password at all"});
    let french = w
        .call_with(
            "POST",
            "/v1/auth/sign-in",
            "acme",
            Auth::None,
            Some(wrong.clone()),
            &[("accept-language", "fr-FR,fr;q=0.9,en;q=0.5")],
        )
        .await;
    assert_eq!(french.status, StatusCode::UNAUTHORIZED);
    assert_eq!(french.body["type"], "/problems/invalid-credentials");
    assert_eq!(
        french.body["title"],
        "Le nom d'utilisateur ou le mot de passe est incorrect"
    );
    assert_eq!(french.headers["content-language"], "fr");
    let english = w
        .call_with(
            "POST",
            "/v1/auth/sign-in",
            "acme",
            Auth::None,
            Some(wrong),
            &[("accept-language", "en-AU")],
        )
        .await;
    assert_eq!(english.body["type"], "/problems/invalid-credentials");
    assert!(
        english.body["title"].as_str().unwrap().contains("password"),
        "{}",
        english.text
    );
}

#[tokio::test]
async fn a_problems_field_messages_and_detail_answer_in_the_asked_language() {
    use crate::common::{Auth, World};
    use serde_json::json;
    let w = World::new().await;
    let acme = w.tenant("acme").await;
    let account = w.account(&acme, "Sam Lee", "sam@example.com", None).await;
    w.owner(&acme, &account, "sam", "sam's long password").await;
    let sam = w.token("acme", "sam", "sam's long password").await;
    let bad = json!({"name": "", "phones": ["02 555"]});
    let french = w
        .call_with(
            "PATCH",
            "/v1/portal/account",
            "acme",
            Auth::Bearer(&sam),
            Some(bad.clone()),
            &[("accept-language", "fr")],
        )
        .await;
    assert_eq!(french.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = |reply: &crate::common::Reply, field: &str| {
        reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .map(|e| e["message"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(
        message(&french, "/name"),
        "indiquez un nom de 1 à 120 caractères"
    );
    assert!(
        message(&french, "/phones/0").starts_with("\"02 555\" n'est pas un numéro"),
        "the customer's own words are kept as typed: {}",
        french.text
    );
    let english = w
        .call(
            "PATCH",
            "/v1/portal/account",
            "acme",
            Auth::Bearer(&sam),
            Some(bad),
        )
        .await;
    assert_eq!(
        message(&english, "/name"),
        "give a name of 1 to 120 characters"
    );
}
