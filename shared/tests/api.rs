//! The API's manners, driven as a client would (oneshot requests through the whole app).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use selfcare::platform::LocalPlatform;
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
