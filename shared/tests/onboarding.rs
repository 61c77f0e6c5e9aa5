//! Providers onboarded from a reviewed data file: applying it again changes nothing, a
//! retailer never lands without its wholesaler in the same stack, and the repository's own
//! files are sound.

use selfcare::domain::onboarding::{self, OnboardingError, OnboardingFile};
use selfcare::domain::tenancy::TenantKind;
use serde_json::json;

use crate::common::World;

fn file(value: serde_json::Value) -> OnboardingFile {
    serde_json::from_value(value).unwrap()
}

fn pool() -> OnboardingFile {
    file(json!({
        "deployment": "pool",
        "providers": [
            {"slug": "wispnet", "kind": "wholesale", "name": "WispNet Wholesale"},
            {"slug": "harbour", "kind": "retail", "name": "Harbour Voice", "wholesaler": "wispnet",
             "domain": "portal.harbour.example",
             "first_staff": {"email": "ops@harbour.example", "name": "Harbour Ops"}}
        ]
    }))
}

async fn apply(
    w: &World,
    deployment: &str,
    f: &OnboardingFile,
) -> Result<Vec<String>, OnboardingError> {
    onboarding::apply(
        w.platform.table.as_ref(),
        &w.platform.tenants(),
        &w.platform.identity(),
        deployment,
        f,
    )
    .await
}

async fn applied_twice_changes_nothing(w: World) {
    let first = apply(&w, "pool", &pool()).await.unwrap();
    assert_eq!(
        first,
        [
            "wispnet: created",
            "harbour: created",
            "harbour: answers at portal.harbour.example",
            "harbour: invited ops@harbour.example",
        ]
    );
    let tenants = w.platform.tenants();
    let harbour = tenants.by_slug("harbour").await.unwrap();
    let wispnet = tenants.by_slug("wispnet").await.unwrap();
    assert_eq!(harbour.kind, TenantKind::Retail);
    assert_eq!(harbour.wholesaler, Some(wispnet.id));
    assert_eq!(
        harbour.custom_domain.as_deref(),
        Some("portal.harbour.example")
    );
    let again = apply(&w, "pool", &pool()).await.unwrap();
    assert_eq!(
        again,
        [
            "wispnet: there already",
            "harbour: there already",
            "harbour: first staff member invited before, not set up yet",
        ]
    );
    assert_eq!(
        w.mail("ops@harbour.example", "credential-create")
            .await
            .len(),
        1,
        "invited once, however often the file is applied"
    );
}

#[tokio::test]
async fn a_file_applied_twice_onboards_once() {
    applied_twice_changes_nothing(World::new().await).await;
}

#[tokio::test]
async fn a_file_applied_twice_onboards_once_on_dynamodb() {
    applied_twice_changes_nothing(World::on_dynamodb().await).await;
}

#[tokio::test]
async fn a_retailer_without_its_wholesaler_in_the_stack_is_refused_before_anything_is_written() {
    let w = World::new().await;
    let orphan = file(json!({
        "deployment": "pool",
        "providers": [
            {"slug": "tidal", "kind": "retail", "name": "Tidal ISP"},
            {"slug": "harbour", "kind": "retail", "name": "Harbour Voice", "wholesaler": "wispnet"}
        ]
    }));
    let Err(OnboardingError::Refused(problems)) = apply(&w, "pool", &orphan).await else {
        panic!("applied");
    };
    assert!(problems[0].contains("share a stack"), "{problems:?}");
    assert!(
        w.platform.tenants().by_slug("tidal").await.is_err(),
        "nothing of the file was written"
    );
    // A file for another deployment is refused whole too.
    let Err(OnboardingError::Refused(problems)) = apply(&w, "acme-group", &pool()).await else {
        panic!("applied to the wrong stack");
    };
    assert!(problems[0].contains("deployment pool"), "{problems:?}");
    // A provider the stack has as another kind is not changed.
    apply(&w, "pool", &pool()).await.unwrap();
    let changed = file(json!({
        "deployment": "pool",
        "providers": [{"slug": "harbour", "kind": "wholesale", "name": "Harbour Voice"}]
    }));
    assert!(matches!(
        apply(&w, "pool", &changed).await,
        Err(OnboardingError::Refused(_))
    ));
}

#[test]
fn files_that_split_a_wholesaler_from_its_retailers_are_refused() {
    let silo = file(json!({
        "deployment": "acme-group",
        "providers": [
            {"slug": "acme", "kind": "retail", "name": "Acme Telecom", "wholesaler": "wispnet"}
        ]
    }));
    let problems = onboarding::check(&[("pool.json".into(), pool()), ("silo.json".into(), silo)]);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("silo.json: acme buys through wispnet, which is onboarded in pool"),
        "{problems:?}"
    );
    let twice = file(json!({
        "deployment": "pool",
        "providers": [
            {"slug": "tidal", "kind": "retail", "name": "Tidal ISP",
             "first_staff": {"email": "not an address", "name": "x"}},
            {"slug": "tidal", "kind": "wholesale", "name": "Tidal", "wholesaler": "x"}
        ]
    }));
    let problems = onboarding::check(&[("bad.json".into(), twice)]);
    assert_eq!(problems.len(), 3, "{problems:?}");
}

/// The files the pipeline applies are sound together.
#[test]
fn the_repositorys_onboarding_files_are_sound() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/onboarding");
    let files: Vec<(String, OnboardingFile)> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            (
                path.display().to_string(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect();
    assert!(files.len() >= 3);
    assert_eq!(onboarding::check(&files), Vec::<String>::new());
}
