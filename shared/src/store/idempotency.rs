//! Idempotency keys for creating requests: the request's `Idempotency-Key` is claimed, for
//! its tenant and what it creates, in the same transaction as what it creates, with a
//! fingerprint of the request. Sent again with the same request, the claim names what the
//! first made; with another request under the key, it is refused. Claims are kept a day.

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::keys;
use crate::ids::TenantId;
use crate::ports::table::{Condition, EXPIRES_AT, Item, Key, Table, TableError, Value, Write};

/// How long a key is remembered.
pub const KEEP: Duration = Duration::hours(24);

/// The name a transaction gives the claim, to tell its refusal from others'.
pub const CLAIM: &str = "idempotency claim";

/// What a key's claim says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earlier {
    /// The same request came before and made this (its id).
    Made(String),
    /// Another request holds the key.
    Reused,
}

/// A key is 8 to 128 characters.
pub fn check(key: &str) -> Result<(), &'static str> {
    if (8..=128).contains(&key.len()) {
        Ok(())
    } else {
        Err("use 8 to 128 characters")
    }
}

/// The fingerprint of a request: the SHA-256 of what it asks for, as JSON.
pub fn fingerprint(request: &impl serde::Serialize) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(request).unwrap_or_default(),
    ))
}

fn claim_key(tenant: &TenantId, key: &str, scope: &str) -> Key {
    Key::new(keys::idempotency(tenant, key), scope)
}

/// The claim, to write with what the request makes (`made`: its id).
pub fn claim(
    tenant: &TenantId,
    key: &str,
    scope: &str,
    fingerprint: &str,
    made: &str,
    now: OffsetDateTime,
) -> Write {
    let k = claim_key(tenant, key, scope);
    Write::Put {
        item: super::keyed(
            Item::from([
                ("made".to_owned(), Value::S(made.to_owned())),
                ("fingerprint".to_owned(), Value::S(fingerprint.to_owned())),
                (
                    EXPIRES_AT.to_owned(),
                    Value::N((now + KEEP).unix_timestamp()),
                ),
            ]),
            &[("pk", k.pk), ("sk", k.sk)],
        ),
        condition: Some(Condition::Absent),
    }
}

/// What an earlier request under the key did, if one did.
pub async fn earlier(
    table: &dyn Table,
    tenant: &TenantId,
    key: &str,
    scope: &str,
    fingerprint: &str,
) -> Result<Option<Earlier>, TableError> {
    let Some(item) = table.get(&claim_key(tenant, key, scope)).await? else {
        return Ok(None);
    };
    if item.get("fingerprint").and_then(Value::as_s) != Some(fingerprint) {
        return Ok(Some(Earlier::Reused));
    }
    Ok(item
        .get("made")
        .and_then(Value::as_s)
        .map(|made| Earlier::Made(made.to_owned())))
}
