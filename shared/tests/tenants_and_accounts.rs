//! The first domain: tenants and accounts, through the domain services over the embedded
//! table (the contract suite holds the adapters to the same behaviour).

use selfcare::store::Stamp;
use std::collections::BTreeMap;
use std::sync::Arc;

use selfcare::domain::accounts::{
    AccountChanges, AccountError, AccountKind, AccountSearch, AccountStatus, Accounts, NewAccount,
};
use selfcare::domain::contact::PostalAddressInput;
use selfcare::domain::paging::PageRequest;
use selfcare::domain::tenancy::{
    AttributeDefinition, NewTenant, Tenant, TenantError, TenantKind, Tenants,
};
use selfcare::ids::AccountId;
use selfcare::ports::counting::CountingTable;
use selfcare::ports::{ManualClock, Table};
use selfcare::store::CursorCodec;
use selfcare_embedded::EmbeddedTable;
use time::OffsetDateTime;

struct World {
    tenants: Tenants,
    accounts: Accounts,
    counter: Arc<CountingTable>,
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::at(
        OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
    ));
    let table: Arc<dyn Table> =
        Arc::new(EmbeddedTable::open(&dir.path().join("t.redb"), clock.clone()).unwrap());
    let counter = Arc::new(CountingTable::new(table));
    let cursors = CursorCodec::new(b"test cursor key");
    World {
        tenants: Tenants::new(counter.clone(), clock.clone(), cursors.clone()),
        accounts: Accounts::new(counter.clone(), clock, cursors),
        counter,
        _dir: dir,
    }
}

async fn create_tenant(
    w: &World,
    kind: TenantKind,
    slug: &str,
    wholesaler: Option<&Tenant>,
) -> Result<Tenant, TenantError> {
    w.tenants
        .create(NewTenant {
            kind,
            name: format!("{slug} Telecom"),
            slug: slug.into(),
            wholesaler: wholesaler.map(|t| t.id),
        })
        .await
}

async fn retailer(w: &World, slug: &str) -> Tenant {
    create_tenant(w, TenantKind::Retail, slug, None)
        .await
        .unwrap()
}

async fn wholesaler(w: &World, slug: &str) -> Tenant {
    create_tenant(w, TenantKind::Wholesale, slug, None)
        .await
        .unwrap()
}

fn new_account(name: &str, email: &str) -> NewAccount {
    NewAccount {
        kind: AccountKind::EndUser,
        number: None,
        name: name.into(),
        billing_address: Some(PostalAddressInput {
            lines: vec!["1 Harbour St".into()],
            locality: "Sydney".into(),
            region: Some("NSW".into()),
            postcode: Some("2000".into()),
            country: "AU".into(),
        }),
        phones: vec!["+61 2 9876 5432".into()],
        emails: vec![email.into()],
        attributes: BTreeMap::new(),
        group: None,
    }
}

fn fields(error: AccountError) -> Vec<String> {
    match error {
        AccountError::Invalid(v) => v.0.into_iter().map(|(f, _)| f).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_retailer_may_buy_through_a_wholesaler_but_not_through_a_retailer() {
    let w = world();
    let wholesaler = wholesaler(&w, "wholesale").await;
    let acme = create_tenant(&w, TenantKind::Retail, "acme", Some(&wholesaler))
        .await
        .unwrap();
    assert_eq!(acme.wholesaler, Some(wholesaler.id));
    let refused = create_tenant(&w, TenantKind::Retail, "nested", Some(&acme))
        .await
        .unwrap_err();
    assert!(matches!(refused, TenantError::Invalid(v) if v.0[0].0 == "wholesaler"));
    let retailers = w
        .tenants
        .retailers_of(&wholesaler.id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(retailers.items, vec![acme.clone()]);
    assert_eq!(w.tenants.by_slug("acme").await.unwrap(), acme);
}

#[tokio::test]
async fn a_slug_is_taken_once_and_must_be_host_safe() {
    let w = world();
    retailer(&w, "acme").await;
    let again = create_tenant(&w, TenantKind::Retail, "acme", None)
        .await
        .unwrap_err();
    assert!(matches!(again, TenantError::SlugTaken(s) if s == "acme"));
    for bad in ["AC", "Acme", "-acme", "acme-", "ac me", "a.b"] {
        let error = create_tenant(&w, TenantKind::Retail, bad, None)
            .await
            .unwrap_err();
        assert!(matches!(error, TenantError::Invalid(_)), "{bad}");
    }
    let all = w.tenants.list(&PageRequest::default()).await.unwrap();
    assert_eq!(all.items.len(), 1);
}

#[tokio::test]
async fn accounts_get_sequential_numbers_or_the_one_given_once() {
    let w = world();
    let acme = retailer(&w, "acme").await;
    let first = w
        .accounts
        .create(&acme, new_account("Jo Bloggs", "jo@example.com"), None)
        .await
        .unwrap();
    let second = w
        .accounts
        .create(&acme, new_account("Sam Lee", "sam@example.com"), None)
        .await
        .unwrap();
    assert_eq!(
        (first.number.as_str(), second.number.as_str()),
        ("100001", "100002")
    );
    let mut chosen = new_account("Chosen Number", "c@example.com");
    chosen.number = Some("ACME-7".into());
    w.accounts
        .create(&acme, chosen.clone(), None)
        .await
        .unwrap();
    let taken = w.accounts.create(&acme, chosen, None).await.unwrap_err();
    assert!(matches!(taken, AccountError::NumberTaken(n) if n == "ACME-7"));
    // Another tenant has its own numbers.
    let other = retailer(&w, "other").await;
    let theirs = w
        .accounts
        .create(&other, new_account("Kim", "kim@example.com"), None)
        .await
        .unwrap();
    assert_eq!(theirs.number, "100001");
}

#[tokio::test]
async fn every_invalid_field_is_reported_at_once() {
    let w = world();
    let acme = retailer(&w, "acme").await;
    let mut bad = new_account("  ", "not-an-email");
    bad.phones = vec!["02 9876 5432".into()];
    bad.number = Some("no spaces please".into());
    bad.billing_address = Some(PostalAddressInput::default());
    let error = w.accounts.create(&acme, bad, None).await.unwrap_err();
    assert_eq!(
        fields(error),
        [
            "/number",
            "/name",
            "/billing_address/lines",
            "/billing_address/locality",
            "/billing_address/country",
            "/phones/0",
            "/emails/0"
        ]
    );
    let mut none = new_account("No Email", "x@example.com");
    none.emails.clear();
    assert_eq!(
        fields(w.accounts.create(&acme, none, None).await.unwrap_err()),
        ["/emails"]
    );
}

#[tokio::test]
async fn the_tenant_decides_which_attributes_accounts_carry() {
    let w = world();
    let acme = retailer(&w, "acme").await;
    let acme = w
        .tenants
        .set_account_attributes(
            &acme.id,
            vec![
                AttributeDefinition {
                    name: "region".into(),
                    default: Some("north".into()),
                    required: true,
                },
                AttributeDefinition {
                    name: "segment".into(),
                    default: None,
                    required: true,
                },
            ],
            &selfcare::store::Stamp::none(),
        )
        .await
        .unwrap();
    let mut missing = new_account("Jo", "jo@example.com");
    missing.attributes.insert("colour".into(), "blue".into());
    assert_eq!(
        fields(w.accounts.create(&acme, missing, None).await.unwrap_err()),
        ["/attributes/colour", "/attributes/segment"]
    );
    let mut ok = new_account("Jo", "jo@example.com");
    ok.attributes.insert("segment".into(), "business".into());
    let account = w.accounts.create(&acme, ok, None).await.unwrap();
    assert_eq!(account.attributes["region"], "north");
    assert_eq!(account.attributes["segment"], "business");
}

#[tokio::test]
async fn a_repeated_create_with_its_idempotency_key_opens_one_account() {
    let w = world();
    let acme = retailer(&w, "acme").await;
    let request = new_account("Jo Bloggs", "jo@example.com");
    let first = w
        .accounts
        .create(&acme, request.clone(), Some("key-0001-abcd"))
        .await
        .unwrap();
    let again = w
        .accounts
        .create(&acme, request.clone(), Some("key-0001-abcd"))
        .await
        .unwrap();
    assert_eq!(first, again);
    let different = new_account("Somebody Else", "else@example.com");
    let reused = w
        .accounts
        .create(&acme, different, Some("key-0001-abcd"))
        .await
        .unwrap_err();
    assert!(matches!(reused, AccountError::IdempotencyKeyReused));
    let list = w
        .accounts
        .list(&acme.id, &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(list.items.len(), 1);
}

#[tokio::test]
async fn a_wholesaler_has_no_accounts_of_its_own() {
    let w = world();
    let wholesaler = wholesaler(&w, "wsp").await;
    let error = w
        .accounts
        .create(&wholesaler, new_account("Jo", "jo@example.com"), None)
        .await
        .unwrap_err();
    assert!(matches!(error, AccountError::WrongTenantKind));
}

#[tokio::test]
async fn no_tenant_reads_or_changes_another_tenants_account_whatever_id_it_sends() {
    let w = world();
    let acme = retailer(&w, "acme").await;
    let other = retailer(&w, "other").await;
    let theirs = w
        .accounts
        .create(&other, new_account("Kim", "kim@example.com"), None)
        .await
        .unwrap();
    assert!(matches!(
        w.accounts.get(&acme.id, &theirs.id).await,
        Err(AccountError::NotFound)
    ));
    let change = AccountChanges {
        name: Some("Hijacked".into()),
        ..Default::default()
    };
    assert!(matches!(
        w.accounts
            .update(&acme, &theirs.id, change, None, &Stamp::none())
            .await,
        Err(AccountError::NotFound)
    ));
    assert!(matches!(
        w.accounts
            .deactivate(&acme.id, &theirs.id, &Stamp::none())
            .await,
        Err(AccountError::NotFound)
    ));
    let by_email = w
        .accounts
        .search(
            &acme.id,
            &AccountSearch::Email("kim@example.com".into()),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(by_email.items.is_empty());
    let by_number = w
        .accounts
        .search(
            &acme.id,
            &AccountSearch::Number(theirs.number.clone()),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(by_number.items.is_empty());
    assert_eq!(
        w.accounts.get(&other.id, &theirs.id).await.unwrap().name,
        "Kim"
    );
}

#[tokio::test]
async fn updates_show_in_searches_and_a_stale_version_is_refused() {
    let w = world();
    let acme = retailer(&w, "acme").await;
    let account = w
        .accounts
        .create(&acme, new_account("Jo Bloggs", "jo@example.com"), None)
        .await
        .unwrap();
    let change = AccountChanges {
        name: Some("Joanne Bloggs-Smith".into()),
        emails: Some(vec![
            "joanne@example.com".into(),
            "accounts@bloggs.example".into(),
        ]),
        ..Default::default()
    };
    let updated = w
        .accounts
        .update(&acme, &account.id, change, Some(1), &Stamp::none())
        .await
        .unwrap();
    assert_eq!(updated.version, 2);
    assert_eq!(updated.kind(), AccountKind::EndUser);
    let search = |s: AccountSearch| {
        let accounts = &w.accounts;
        let tenant = acme.id;
        async move {
            accounts
                .search(&tenant, &s, &PageRequest::default())
                .await
                .unwrap()
                .items
        }
    };
    assert!(
        search(AccountSearch::Email("jo@example.com".into()))
            .await
            .is_empty()
    );
    let found = search(AccountSearch::Email("ACCOUNTS@bloggs.example".into())).await;
    assert_eq!(found[0].name, "Joanne Bloggs-Smith");
    assert_eq!(
        search(AccountSearch::NamePrefix("joanne  bl".into()))
            .await
            .len(),
        1
    );
    assert!(
        search(AccountSearch::NamePrefix("jo bl".into()))
            .await
            .is_empty()
    );
    let stale = AccountChanges {
        name: Some("Late".into()),
        ..Default::default()
    };
    let error = w
        .accounts
        .update(&acme, &account.id, stale, Some(1), &Stamp::none())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        AccountError::StaleVersion {
            expected: 1,
            current: 2
        }
    ));
    assert_eq!(
        w.accounts.get(&acme.id, &account.id).await.unwrap().name,
        "Joanne Bloggs-Smith"
    );
}

#[tokio::test]
async fn accounts_are_deactivated_and_reactivated_never_deleted() {
    let w = world();
    let acme = retailer(&w, "acme").await;
    let account = w
        .accounts
        .create(&acme, new_account("Jo", "jo@example.com"), None)
        .await
        .unwrap();
    let inactive = w
        .accounts
        .deactivate(&acme.id, &account.id, &Stamp::none())
        .await
        .unwrap();
    assert_eq!(inactive.status, AccountStatus::Inactive);
    // Again: nothing changes, no new version.
    assert_eq!(
        w.accounts
            .deactivate(&acme.id, &account.id, &Stamp::none())
            .await
            .unwrap()
            .version,
        inactive.version
    );
    let by_number = w
        .accounts
        .search(
            &acme.id,
            &AccountSearch::Number(account.number.clone()),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(by_number.items[0].status, AccountStatus::Inactive);
    assert!(matches!(
        w.accounts.delete(&acme.id, &account.id).await,
        Err(AccountError::DeletionRefused)
    ));
    let active = w
        .accounts
        .reactivate(&acme.id, &account.id, &Stamp::none())
        .await
        .unwrap();
    assert_eq!(active.status, AccountStatus::Active);
    assert_eq!(active.kind(), AccountKind::EndUser);
}

#[tokio::test]
async fn pages_run_newest_first_and_a_cursor_works_only_where_it_was_issued() {
    let w = world();
    let acme = retailer(&w, "acme").await;
    let other = retailer(&w, "other").await;
    let mut ids: Vec<AccountId> = Vec::new();
    for i in 0..7 {
        let a = w
            .accounts
            .create(
                &acme,
                new_account(&format!("Customer {i}"), &format!("c{i}@example.com")),
                None,
            )
            .await
            .unwrap();
        ids.push(a.id);
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = w
            .accounts
            .list(&acme.id, &PageRequest::after(3, cursor))
            .await
            .unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|a| a.id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    ids.sort();
    ids.reverse();
    assert_eq!(seen, ids);
    let first = w
        .accounts
        .list(&acme.id, &PageRequest::first(3))
        .await
        .unwrap();
    let stolen = first.next_cursor.unwrap();
    assert!(matches!(
        w.accounts
            .list(&other.id, &PageRequest::after(3, Some(stolen.clone())))
            .await,
        Err(AccountError::InvalidCursor)
    ));
    assert!(matches!(
        w.accounts
            .search(
                &acme.id,
                &AccountSearch::NamePrefix("customer".into()),
                &PageRequest::after(3, Some(stolen))
            )
            .await,
        Err(AccountError::InvalidCursor)
    ));
    assert!(matches!(
        w.accounts.list(&acme.id, &PageRequest::first(101)).await,
        Err(AccountError::Invalid(_))
    ));
}

#[tokio::test]
async fn reads_cost_one_round_trip() {
    let w = world();
    let acme = retailer(&w, "acme").await;
    let account = w
        .accounts
        .create(&acme, new_account("Jo Bloggs", "jo@example.com"), None)
        .await
        .unwrap();
    w.counter.take();
    w.accounts.get(&acme.id, &account.id).await.unwrap();
    assert_eq!(w.counter.take().total(), 1);
    w.accounts
        .list(&acme.id, &PageRequest::default())
        .await
        .unwrap();
    let list = w.counter.take();
    assert_eq!((list.queries, list.total()), (1, 1));
    for search in [
        AccountSearch::NamePrefix("jo".into()),
        AccountSearch::Email("jo@example.com".into()),
        AccountSearch::Number(account.number.clone()),
    ] {
        w.accounts
            .search(&acme.id, &search, &PageRequest::default())
            .await
            .unwrap();
        assert_eq!(w.counter.take().total(), 1, "{search:?}");
    }
}
