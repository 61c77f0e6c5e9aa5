//! The code and the template agree: every function in the catalogue has its resource and
//! every resource its function; every route the code serves is routed by the HTTP API to
//! the function that serves it, and the API routes nothing the code lacks; every route is
//! in the OpenAPI document.

use std::collections::{BTreeMap, BTreeSet};

use selfcare_functions::{Trigger, catalogue};
use yaml_rust2::{Yaml, YamlLoader};

type Routes = BTreeSet<(String, String)>;

fn template() -> Yaml {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml"))
        .expect("template.yaml is at the top of the workspace");
    YamlLoader::load_from_str(&text)
        .expect("template.yaml is YAML")
        .remove(0)
}

/// Handler → the types of its events (HttpApi, DynamoDB, Schedule), for every function.
fn template_triggers(template: &Yaml) -> BTreeMap<String, BTreeSet<String>> {
    let resources = template["Resources"].as_hash().expect("Resources");
    let mut out = BTreeMap::new();
    for (_, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let handler = resource["Properties"]["Handler"]
            .as_str()
            .unwrap()
            .to_owned();
        let kinds = resource["Properties"]["Events"]
            .as_hash()
            .map(|events| {
                events
                    .values()
                    .filter_map(|e| e["Type"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        out.insert(handler, kinds);
    }
    out
}

/// Handler → the (method, path) of its HttpApi events, for every function resource.
fn template_functions(template: &Yaml) -> BTreeMap<String, Routes> {
    let resources = template["Resources"].as_hash().expect("Resources");
    let mut out = BTreeMap::new();
    for (_, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let handler = resource["Properties"]["Handler"]
            .as_str()
            .expect("every function names its Handler")
            .to_owned();
        let mut routes = Routes::new();
        if let Some(events) = resource["Properties"]["Events"].as_hash() {
            for (_, event) in events {
                if event["Type"].as_str() == Some("HttpApi") {
                    let p = &event["Properties"];
                    routes.insert((
                        p["Method"].as_str().expect("Method").to_uppercase(),
                        p["Path"].as_str().expect("Path").to_owned(),
                    ));
                }
            }
        }
        assert!(
            out.insert(handler.clone(), routes).is_none(),
            "{handler} is declared twice"
        );
    }
    out
}

fn documented(document: &utoipa::openapi::OpenApi) -> Routes {
    let json = serde_json::to_value(document).unwrap();
    let mut routes = Routes::new();
    for (path, item) in json["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    routes
}

/// The routes each function's code serves, from the groups it mounts.
fn code_functions() -> BTreeMap<String, Routes> {
    let mut out = BTreeMap::new();
    for group in selfcare::http::GROUPS {
        let (_, document) = (group.routes)().split_for_parts();
        let mut routes = documented(&document);
        if group.function == "api-meta" {
            routes.insert(("GET".into(), "/v1/openapi.json".into()));
            // Every path's CORS preflight, answered by the app's CORS layer.
            routes.insert(("OPTIONS".into(), "/v1/{proxy+}".into()));
        }
        out.entry(group.function.to_owned())
            .or_insert_with(Routes::new)
            .extend(routes);
    }
    out
}

#[test]
fn every_function_has_its_resource_and_every_resource_its_function() {
    let declared: BTreeSet<String> = template_functions(&template()).into_keys().collect();
    let built: BTreeSet<String> = catalogue().into_iter().map(|(n, _)| n.to_owned()).collect();
    assert_eq!(declared, built);
}

#[test]
fn the_http_api_routes_exactly_what_each_function_serves() {
    let declared = template_functions(&template());
    let served = code_functions();
    for (name, trigger) in catalogue() {
        let routes = declared.get(name).cloned().unwrap_or_default();
        match trigger {
            Trigger::Http => assert_eq!(routes, served[name], "routes of {name}"),
            Trigger::Stream
            | Trigger::Schedule
            | Trigger::Blob
            | Trigger::Queue
            | Trigger::Step => {
                assert!(routes.is_empty(), "{name} is not an HTTP function")
            }
        }
    }
}

#[test]
fn each_function_is_triggered_by_what_its_code_handles() {
    let template = template();
    let triggers = template_triggers(&template);
    let steps = state_machine_functions(&template);
    for (name, trigger) in catalogue() {
        let kinds = &triggers[name];
        let expected = match trigger {
            Trigger::Http => "HttpApi",
            Trigger::Stream => "DynamoDB",
            Trigger::Schedule => "Schedule",
            Trigger::Blob => "S3",
            Trigger::Queue => "SQS",
            Trigger::Step => {
                assert!(
                    kinds.is_empty(),
                    "{name} is started by its state machine only"
                );
                assert!(
                    steps.contains(name),
                    "{name} is a step of a state machine: {steps:?}"
                );
                continue;
            }
        };
        assert_eq!(kinds.len(), 1, "{name} has one kind of trigger: {kinds:?}");
        assert!(
            kinds.contains(expected),
            "{name} is triggered by {expected}: {kinds:?}"
        );
    }
}

/// The handlers of the functions the state machines invoke (their definitions'
/// substitutions name them by `!GetAtt Resource.Arn`).
fn state_machine_functions(template: &Yaml) -> BTreeSet<String> {
    let resources = template["Resources"].as_hash().expect("Resources");
    let handler_of = |resource: &str| {
        resources
            .iter()
            .find(|(name, _)| name.as_str() == Some(resource))
            .and_then(|(_, r)| r["Properties"]["Handler"].as_str())
            .map(str::to_owned)
    };
    let mut out = BTreeSet::new();
    for (_, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::StateMachine") {
            continue;
        }
        let Some(substitutions) = resource["Properties"]["DefinitionSubstitutions"].as_hash()
        else {
            continue;
        };
        for value in substitutions.values() {
            // `!GetAtt X.Arn` reads as the text "X.Arn" (the loader drops the tag).
            if let Some(function) = value.as_str().and_then(|t| t.strip_suffix(".Arn"))
                && let Some(handler) = handler_of(function)
            {
                out.insert(handler);
            }
        }
    }
    out
}

#[test]
fn the_openapi_document_lists_every_function_route() {
    let document = documented(&selfcare::http::openapi());
    let mut served: Routes = code_functions().into_values().flatten().collect();
    // Preflights are the CORS layer's, not an operation of the API.
    served.remove(&("OPTIONS".to_owned(), "/v1/{proxy+}".to_owned()));
    assert_eq!(document, served);
}

/// No route in the document is a phantom: the app answers each one (path parameters
/// filled with a placeholder) with something other than "no such endpoint".
#[tokio::test]
async fn every_documented_route_is_served() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let local =
        selfcare_embedded::LocalPlatform::open(dir.path(), "http://127.0.0.1:3000", None).unwrap();
    let app = selfcare::http::app(local.platform.clone(), None);
    for (method, path) in documented(&selfcare::http::openapi()) {
        let concrete: String = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "01J0000000000000000000000"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let request = axum::http::Request::builder()
            .method(method.as_str())
            .uri(&concrete)
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains("/problems/route-not-found")
                && !text.contains("/problems/method-not-allowed"),
            "{method} {path} is documented but not served: {text}"
        );
    }
}

/// The domain crate compiles without the adapters (no AWS SDK, no local store: they live in
/// `adapters/`), and the Lambda entry never names the embedded adapters, so its package
/// links no redb and none of the local runtime's routes.
#[test]
fn the_domain_crate_and_the_lambda_binary_carry_no_adapter_they_do_not_use() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let manifest = std::fs::read_to_string(root.join("shared/Cargo.toml")).unwrap();
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("shared/Cargo.toml has dependencies");
    for line in dependencies.lines() {
        let name = line.split(['.', ' ', '=']).next().unwrap_or_default();
        assert!(
            !(name.starts_with("aws")
                || ["redb", "serde_dynamo", "selfcare-aws", "selfcare-embedded"].contains(&name)),
            "the domain crate depends on {name}"
        );
    }
    for entry in ["functions/src/bin/bootstrap.rs", "functions/src/lib.rs"] {
        let source = std::fs::read_to_string(root.join(entry)).unwrap();
        assert!(
            !source.contains("selfcare_embedded"),
            "{entry} names the embedded adapters"
        );
    }
}
