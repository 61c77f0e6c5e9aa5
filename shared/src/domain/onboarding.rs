//! Providers onboarded from a reviewed data file (`infra/onboarding/*.json`): tenants, the
//! wholesaler each retailer buys through, a domain of its own, and its first staff member
//! by invitation. Applying a file is idempotent: what is there already is left as it is
//! and said so, so the pipeline applies the same file on every deploy. A wholesaler and
//! its retailers share a stack (docs/tenancy.md): a file whose retailer names a
//! wholesaler that is neither in the file nor in the stack is refused before anything is
//! written, and so is a set of files that puts the two in different deployments.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::contact::EmailAddress;
use super::identity::credentials::StaffInvitation;
use super::identity::{Identity, Permission};
use super::tenancy::{NewTenant, Tenant, TenantError, TenantKind, Tenants};
use crate::ids::TenantId;
use crate::ports::table::{Condition, Item, Key, Table, Value};
use crate::store::{self, keys};

/// One file: the deployment (stack) it is for, and its providers, wholesalers first.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OnboardingFile {
    /// `pool`, or a silo's name (the template's `Deployment` parameter).
    pub deployment: String,
    pub providers: Vec<Provider>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub slug: String,
    pub kind: TenantKind,
    pub name: String,
    /// A retailer's wholesaler, by slug.
    #[serde(default)]
    pub wholesaler: Option<String>,
    /// A host name of the provider's own for its portal.
    #[serde(default)]
    pub domain: Option<String>,
    /// Invited with every permission; they choose their username and password.
    #[serde(default)]
    pub first_staff: Option<FirstStaff>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstStaff {
    pub email: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OnboardingError {
    #[error("the onboarding file is refused:\n  {}", .0.join("\n  "))]
    Refused(Vec<String>),
    #[error("{slug}: {error}")]
    Tenant { slug: String, error: TenantError },
    #[error("{slug}: {error}")]
    Identity {
        slug: String,
        error: super::identity::IdentityError,
    },
    #[error("storage: {0}")]
    Storage(#[from] crate::ports::table::TableError),
}

/// What checking `files` finds wrong, without a stack: each file on its own, and across
/// them that a retailer's wholesaler is onboarded in the same deployment.
pub fn check(files: &[(String, OnboardingFile)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut deployment_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (_, file) in files {
        for p in &file.providers {
            if p.kind == TenantKind::Wholesale {
                deployment_of
                    .entry(p.slug.as_str())
                    .or_default()
                    .insert(file.deployment.as_str());
            }
        }
    }
    for (name, file) in files {
        for problem in check_file(file) {
            problems.push(format!("{name}: {problem}"));
        }
        let own: BTreeSet<&str> = file.providers.iter().map(|p| p.slug.as_str()).collect();
        for p in &file.providers {
            let Some(wholesaler) = p.wholesaler.as_deref() else {
                continue;
            };
            if own.contains(wholesaler) {
                continue;
            }
            if let Some(elsewhere) = deployment_of.get(wholesaler)
                && !elsewhere.contains(file.deployment.as_str())
            {
                problems.push(format!(
                    "{name}: {} buys through {wholesaler}, which is onboarded in {}: a \
                     wholesaler and its retailers share a stack (docs/tenancy.md)",
                    p.slug,
                    elsewhere.iter().copied().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    problems
}

/// What is wrong with one file on its own.
fn check_file(file: &OnboardingFile) -> Vec<String> {
    let mut problems = Vec::new();
    if !(1..=40).contains(&file.deployment.len())
        || !file
            .deployment
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        problems.push("deployment: 1 to 40 lower-case letters, digits and -".to_owned());
    }
    let mut seen = BTreeSet::new();
    let mut wholesalers_before = BTreeSet::new();
    for p in &file.providers {
        if !seen.insert(p.slug.as_str()) {
            problems.push(format!("{}: listed twice", p.slug));
        }
        if let Err(m) = super::tenancy::check_slug(&p.slug) {
            problems.push(format!("{}: slug: {m}", p.slug));
        }
        if p.name.trim().is_empty() || p.name.chars().count() > 120 {
            problems.push(format!("{}: name: 1 to 120 characters", p.slug));
        }
        match (p.kind, p.wholesaler.as_deref()) {
            (TenantKind::Wholesale, Some(_)) => {
                problems.push(format!("{}: a wholesaler buys through no one", p.slug));
            }
            (TenantKind::Retail, Some(w))
                if seen.contains(w) && !wholesalers_before.contains(w) =>
            {
                problems.push(format!("{}: {w} is no wholesaler listed before it", p.slug));
            }
            _ => {}
        }
        if p.kind == TenantKind::Wholesale {
            wholesalers_before.insert(p.slug.as_str());
        }
        if let Some(staff) = &p.first_staff {
            if let Err(m) = EmailAddress::parse(&staff.email) {
                problems.push(format!("{}: first_staff.email: {m}", p.slug));
            }
            if staff.name.trim().is_empty() || staff.name.chars().count() > 120 {
                problems.push(format!("{}: first_staff.name: 1 to 120 characters", p.slug));
            }
        }
    }
    problems
}

/// The marker that a provider's first staff member was invited from a file (so applying
/// it again does not invite them again while they have not set up yet).
fn invited_key(tenant: &TenantId) -> Key {
    Key::new(keys::tenant(tenant), "ONBOARDING#FIRST_STAFF")
}

/// Applies `file` to the stack of `deployment`: what it did, a line per provider step.
pub async fn apply(
    table: &dyn Table,
    tenants: &Tenants,
    identity: &Identity,
    deployment: &str,
    file: &OnboardingFile,
) -> Result<Vec<String>, OnboardingError> {
    let mut problems = check_file(file);
    if file.deployment != deployment {
        problems.push(format!(
            "the file is for deployment {}, this stack is {deployment}",
            file.deployment
        ));
    }
    // Every wholesaler named must be in the file or already in this stack.
    let own: BTreeSet<&str> = file.providers.iter().map(|p| p.slug.as_str()).collect();
    for p in &file.providers {
        if let Some(w) = p.wholesaler.as_deref()
            && !own.contains(w)
        {
            match tenants.by_slug(w).await {
                Ok(t) if t.kind == TenantKind::Wholesale => {}
                Ok(_) => problems.push(format!("{}: {w} is no wholesaler", p.slug)),
                Err(TenantError::NotFound) => problems.push(format!(
                    "{}: {w} is not a tenant of this stack: a wholesaler and its retailers \
                     share a stack (docs/tenancy.md)",
                    p.slug
                )),
                Err(error) => {
                    return Err(OnboardingError::Tenant {
                        slug: p.slug.clone(),
                        error,
                    });
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(OnboardingError::Refused(problems));
    }
    let mut done = Vec::new();
    let mut ids: BTreeMap<String, TenantId> = BTreeMap::new();
    for p in &file.providers {
        let tenant_error = |error| OnboardingError::Tenant {
            slug: p.slug.clone(),
            error,
        };
        let wholesaler = match p.wholesaler.as_deref() {
            Some(w) => Some(match ids.get(w) {
                Some(id) => *id,
                None => tenants.by_slug(w).await.map_err(tenant_error)?.id,
            }),
            None => None,
        };
        let tenant = match tenants.by_slug(&p.slug).await {
            Ok(existing) => {
                same_provider(p, &existing, wholesaler)?;
                done.push(format!("{}: there already", p.slug));
                existing
            }
            Err(TenantError::NotFound) => {
                let created = tenants
                    .create(NewTenant {
                        kind: p.kind,
                        name: p.name.clone(),
                        slug: p.slug.clone(),
                        wholesaler,
                    })
                    .await
                    .map_err(tenant_error)?;
                done.push(format!("{}: created", p.slug));
                created
            }
            Err(error) => return Err(tenant_error(error)),
        };
        ids.insert(p.slug.clone(), tenant.id);
        if let Some(domain) = p.domain.as_deref()
            && tenant.custom_domain.as_deref() != Some(domain)
        {
            tenants
                .set_custom_domain(&tenant.id, Some(domain))
                .await
                .map_err(tenant_error)?;
            done.push(format!("{}: answers at {domain}", p.slug));
        }
        if let Some(staff) = &p.first_staff {
            done.push(invite_first_staff(table, identity, &tenant, staff).await?);
        }
    }
    Ok(done)
}

/// A provider already in the stack is the one the file describes: its kind and its
/// wholesaler never change (a name may differ: staff rename it in the console).
fn same_provider(
    p: &Provider,
    existing: &Tenant,
    wholesaler: Option<TenantId>,
) -> Result<(), OnboardingError> {
    if existing.kind != p.kind || existing.wholesaler != wholesaler {
        return Err(OnboardingError::Refused(vec![format!(
            "{}: the stack has it as another kind or with another wholesaler; a provider's \
             kind and wholesaler do not change",
            p.slug
        )]));
    }
    Ok(())
}

async fn invite_first_staff(
    table: &dyn Table,
    identity: &Identity,
    tenant: &Tenant,
    staff: &FirstStaff,
) -> Result<String, OnboardingError> {
    let identity_error = |error| OnboardingError::Identity {
        slug: tenant.slug.clone(),
        error,
    };
    let has_staff = !identity
        .logins
        .staff(
            &tenant.id,
            &crate::domain::paging::PageRequest::after(1, None),
        )
        .await
        .map_err(identity_error)?
        .items
        .is_empty();
    if has_staff {
        return Ok(format!("{}: has staff already", tenant.slug));
    }
    // Claimed before the mail is queued, so two runs at once invite once.
    let key = invited_key(&tenant.id);
    let claim = store::keyed(
        Item::from([("email".to_owned(), Value::S(staff.email.clone()))]),
        &[("pk", key.pk.clone()), ("sk", key.sk.clone())],
    );
    match table.put(claim, Some(Condition::Absent)).await {
        Ok(()) => {}
        Err(crate::ports::table::TableError::ConditionFailed) => {
            return Ok(format!(
                "{}: first staff member invited before, not set up yet",
                tenant.slug
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let invited = identity
        .credentials
        .invite_staff(
            &tenant.id,
            StaffInvitation {
                email: staff.email.clone(),
                name: staff.name.clone(),
                permissions: Permission::ALL.into_iter().collect(),
                groups: None,
                language: None,
            },
            None,
        )
        .await;
    match invited {
        Ok(_) => Ok(format!("{}: invited {}", tenant.slug, staff.email)),
        Err(error) => {
            // Not invited: the next run tries again.
            table.delete(&key, None).await?;
            Err(identity_error(error))
        }
    }
}
