//! Demo data for the local runtime: a wholesaler, two retail providers (one buying through
//! the wholesaler), and end-user and agent accounts with contacts. Seeding twice adds
//! nothing: tenants are found by slug, accounts by their fixed numbers, logins by username.
//! Each tenant has a staff member `admin`; Acme's account 100001 has the login `jo` and
//! Bluewave's `sam`; Acme's 100002 has none, to try the credential-create email on.

use std::collections::BTreeMap;

use crate::domain::accounts::{AccountError, AccountKind, AccountSearch, NewAccount};
use crate::domain::contact::PostalAddressInput;
use crate::domain::identity::{IdentityError, Permission};
use crate::domain::paging::PageRequest;
use crate::domain::tenancy::{NewTenant, Tenant, TenantError, TenantKind};
use crate::platform::Platform;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Tenant(#[from] TenantError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// The demo staff member's password, on every demo tenant (username `admin`). Demo only:
/// real staff choose theirs through a credential-create link.
pub const DEMO_STAFF_PASSWORD: &str = "console-demo-2026";
/// The demo end user's password (username `jo` on `acme`, `sam` on `bluewave`).
pub const DEMO_PORTAL_PASSWORD: &str = "portal-demo-2026";

async fn staff(platform: &Platform, tenant: &Tenant) -> Result<(), SeedError> {
    let result = platform
        .identity()
        .create_staff_with_password(
            &tenant.id,
            "admin",
            &format!("admin@{}.example", tenant.slug),
            &format!("{} Admin", tenant.name),
            DEMO_STAFF_PASSWORD,
            Permission::ALL.into_iter().collect(),
        )
        .await;
    match result {
        Ok(_) | Err(IdentityError::UsernameTaken(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn owner(
    platform: &Platform,
    tenant: &Tenant,
    number: &str,
    username: &str,
) -> Result<(), SeedError> {
    let found = platform
        .accounts()
        .search(
            &tenant.id,
            &AccountSearch::Number(number.into()),
            &PageRequest::first(1),
        )
        .await?;
    let Some(account) = found.items.first() else {
        return Ok(());
    };
    let result = platform
        .identity()
        .create_owner_with_password(&tenant.id, &account.id, username, DEMO_PORTAL_PASSWORD)
        .await;
    match result {
        Ok(_) | Err(IdentityError::UsernameTaken(_)) | Err(IdentityError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn tenant(
    platform: &Platform,
    kind: TenantKind,
    name: &str,
    slug: &str,
    wholesaler: Option<&Tenant>,
) -> Result<Tenant, SeedError> {
    let tenants = platform.tenants();
    match tenants.by_slug(slug).await {
        Ok(existing) => Ok(existing),
        Err(TenantError::NotFound) => Ok(tenants
            .create(NewTenant {
                kind,
                name: name.into(),
                slug: slug.into(),
                wholesaler: wholesaler.map(|w| w.id),
            })
            .await?),
        Err(e) => Err(e.into()),
    }
}

struct DemoAccount {
    number: &'static str,
    kind: AccountKind,
    name: &'static str,
    email: &'static str,
    phone: &'static str,
    street: &'static str,
    locality: &'static str,
    region: &'static str,
    postcode: &'static str,
}

const ACME: &[DemoAccount] = &[
    DemoAccount {
        number: "100001",
        kind: AccountKind::EndUser,
        name: "Jo Bloggs",
        email: "jo.bloggs@example.com",
        phone: "+61 2 9876 5432",
        street: "1 Harbour St",
        locality: "Sydney",
        region: "NSW",
        postcode: "2000",
    },
    DemoAccount {
        number: "100002",
        kind: AccountKind::EndUser,
        name: "Harbour Dental Pty Ltd",
        email: "accounts@harbourdental.example",
        phone: "+61 2 9000 1234",
        street: "20 Bridge Rd",
        locality: "Glebe",
        region: "NSW",
        postcode: "2037",
    },
    DemoAccount {
        number: "100003",
        kind: AccountKind::EndUser,
        name: "Priya Natarajan",
        email: "priya@example.net",
        phone: "+61 412 345 678",
        street: "7 Ocean Pde",
        locality: "Bondi",
        region: "NSW",
        postcode: "2026",
    },
    DemoAccount {
        number: "100004",
        kind: AccountKind::Agent,
        name: "Coastal Sales Agency",
        email: "team@coastalsales.example",
        phone: "+61 2 9111 2222",
        street: "3 Market St",
        locality: "Sydney",
        region: "NSW",
        postcode: "2000",
    },
];

const BLUEWAVE: &[DemoAccount] = &[
    DemoAccount {
        number: "100001",
        kind: AccountKind::EndUser,
        name: "Sam Lee",
        email: "sam.lee@example.org",
        phone: "+61 3 9123 4567",
        street: "12 Collins St",
        locality: "Melbourne",
        region: "VIC",
        postcode: "3000",
    },
    DemoAccount {
        number: "100002",
        kind: AccountKind::EndUser,
        name: "Fitzroy Bakery",
        email: "hello@fitzroybakery.example",
        phone: "+61 3 9555 0101",
        street: "88 Brunswick St",
        locality: "Fitzroy",
        region: "VIC",
        postcode: "3065",
    },
];

async fn accounts(
    platform: &Platform,
    tenant: &Tenant,
    list: &[DemoAccount],
) -> Result<usize, SeedError> {
    let accounts = platform.accounts();
    let mut created = 0;
    for a in list {
        let new = NewAccount {
            kind: a.kind,
            number: Some(a.number.into()),
            name: a.name.into(),
            billing_address: Some(PostalAddressInput {
                lines: vec![a.street.into()],
                locality: a.locality.into(),
                region: Some(a.region.into()),
                postcode: Some(a.postcode.into()),
                country: "AU".into(),
            }),
            phones: vec![a.phone.into()],
            emails: vec![a.email.into()],
            attributes: BTreeMap::new(),
            group: None,
        };
        match accounts.create(tenant, new, None).await {
            Ok(_) => created += 1,
            Err(AccountError::NumberTaken(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(created)
}

/// Seeds the demo tenants and accounts; returns how many accounts were new.
pub async fn seed(platform: &Platform) -> Result<usize, SeedError> {
    let wholesaler = tenant(
        platform,
        TenantKind::Wholesale,
        "Wholesale Networks",
        "wholesale",
        None,
    )
    .await?;
    let acme = tenant(
        platform,
        TenantKind::Retail,
        "Acme Telecom",
        "acme",
        Some(&wholesaler),
    )
    .await?;
    let bluewave = tenant(
        platform,
        TenantKind::Retail,
        "Bluewave Internet",
        "bluewave",
        None,
    )
    .await?;
    let created =
        accounts(platform, &acme, ACME).await? + accounts(platform, &bluewave, BLUEWAVE).await?;
    for tenant in [&wholesaler, &acme, &bluewave] {
        staff(platform, tenant).await?;
    }
    owner(platform, &acme, "100001", "jo").await?;
    owner(platform, &bluewave, "100001", "sam").await?;
    Ok(created)
}
