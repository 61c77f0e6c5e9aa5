//! The second wall of tenant isolation, in the process: while a request is served for a
//! provider, every table call it makes must name that provider's items (partition keys
//! `TENANT#{id}` and `TENANT#{id}#…`), or the platform's shared look-ups (slugs, domains, the
//! list of providers, any provider's own record); every bucket call, that provider's
//! objects (keys under `{id}/`). A key built wrong, with another provider's
//! id in it, fails as an internal error, logged, instead of reading or changing another
//! provider's data. The first wall is the domain's: every key is built from the session's
//! tenant. Code that reaches a related provider on purpose (a wholesaler acting on its
//! retailers' orders, after checking that they are its retailers) says so first: [`reach`].
//!
//! The scope lives in the request's task ([`serve`], a layer of the HTTP app; [`spawn`]
//! copies it into a task the request starts) and is entered once the request's provider
//! is known ([`enter`]: its session, its host or header, the webhook's address). Only the
//! HTTP app's table and buckets are checked, and with no scope around them they refuse:
//! the stream, the schedules and the operator tool use the platform's own, which work
//! across providers by design.

use std::cell::RefCell;
use std::sync::Arc;

use async_trait::async_trait;

use crate::ids::TenantId;
use crate::ports::blobs::{BlobError, BlobInfo, BlobKey, ByteStream, Download, Listing, Retention};
use crate::ports::table::{Condition, Item, Key, Page, Query, Table, TableError, Update, Write};

#[derive(Debug, Default)]
struct Scope {
    /// The request's provider, once known.
    tenant: Option<TenantId>,
    /// Partitions of other providers the request reaches on purpose (a partition key, or
    /// the start of one followed by `#`).
    reached: Vec<String>,
    /// Items of other providers it reads on purpose: a partition and a sort key prefix.
    read: Vec<(String, String)>,
    /// A second, different provider was entered: every later call fails.
    confused: bool,
}

tokio::task_local! {
    static SCOPE: RefCell<Scope>;
}

/// Runs a request's work with a scope of its own (empty until [`enter`]).
pub async fn serve<F: std::future::Future>(work: F) -> F::Output {
    SCOPE.scope(RefCell::new(Scope::default()), work).await
}

/// Spawns work of the current request as a task of its own, in a copy of the request's
/// scope (a task does not inherit its spawner's; without one, every call is refused).
pub fn spawn<F>(work: F) -> tokio::task::JoinHandle<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let copy = SCOPE
        .try_with(|scope| {
            let scope = scope.borrow();
            Scope {
                tenant: scope.tenant,
                reached: scope.reached.clone(),
                read: scope.read.clone(),
                confused: scope.confused,
            }
        })
        .ok();
    match copy {
        Some(copy) => tokio::spawn(SCOPE.scope(RefCell::new(copy), work)),
        None => tokio::spawn(work),
    }
}

/// The request is for `tenant`: from now on its table calls stay within it.
pub fn enter(tenant: &TenantId) {
    let _ = SCOPE.try_with(|scope| {
        let mut scope = scope.borrow_mut();
        match &scope.tenant {
            None => scope.tenant = Some(*tenant),
            Some(entered) if entered == tenant => {}
            Some(entered) => {
                tracing::error!(%entered, second = %tenant, "a request named two providers");
                scope.confused = true;
            }
        }
    });
}

/// The request reaches another provider's `partition` (and the partitions under it,
/// `partition#…`) on purpose: its caller has checked why, and names no more than it needs.
pub fn reach(partition: String) {
    let _ = SCOPE.try_with(|scope| {
        let mut scope = scope.borrow_mut();
        if !scope.reached.contains(&partition) {
            scope.reached.push(partition);
        }
    });
}

/// The request reads, by key, another provider's items of `partition` (or the partitions
/// under it) whose sort key begins with `sort_prefix` (a retailer's settings, its plans),
/// on purpose.
pub fn reach_read(partition: String, sort_prefix: &str) {
    let _ = SCOPE.try_with(|scope| {
        let mut scope = scope.borrow_mut();
        let entry = (partition, sort_prefix.to_owned());
        if !scope.read.contains(&entry) {
            scope.read.push(entry);
        }
    });
}

/// Shared look-ups any request may read: a provider by slug or domain, the providers' list,
/// and a provider's own record (its name, kind and wholesaler: the one item of sort key
/// `TENANT` in its partition, read by key; its settings and keys beside it are not shared).
fn shared_lookup(partition: &str, sort: Option<&str>) -> bool {
    partition.starts_with("SLUG#")
        || partition.starts_with("DOMAIN#")
        || partition == crate::store::keys::ALL_TENANTS
        || (sort == Some(crate::store::keys::TENANT_SK)
            && partition
                .strip_prefix("TENANT#")
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('#')))
}

/// Is `partition` `within`, or under it (`within#…`)?
fn under(partition: &str, within: &str) -> bool {
    partition
        .strip_prefix(within)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('#'))
}

/// May the current request touch this partition (and, for a read by key, this sort key)?
/// `write` for changes: shared look-ups are read only within a request.
fn check(partition: &str, sort: Option<&str>, write: bool) -> Result<(), TableError> {
    let allowed = SCOPE
        .try_with(|scope| {
            let scope = scope.borrow();
            if scope.confused {
                return false;
            }
            // Before the request's provider is known: who it is (a slug, a domain, a
            // session named by its token).
            let Some(tenant) = &scope.tenant else {
                return true;
            };
            under(partition, &crate::store::keys::tenant(tenant))
                || scope.reached.iter().any(|p| under(partition, p))
                || (!write && shared_lookup(partition, sort))
                || (!write
                    && sort.is_some_and(|sort| {
                        scope
                            .read
                            .iter()
                            .any(|(p, prefix)| under(partition, p) && sort.starts_with(prefix))
                    }))
        })
        // The app's table used with no request scope: work spawned without [`spawn`].
        .unwrap_or(false);
    if allowed {
        return Ok(());
    }
    tracing::error!(
        partition,
        write,
        "a table call outside the request's provider"
    );
    Err(TableError::Invalid(
        "a key outside the request's provider".into(),
    ))
}

/// May the current request touch this object (keys `{tenant}/…`)?
fn check_object(key: &str) -> Result<(), crate::ports::BlobError> {
    let in_folder = |tenant: &TenantId| {
        key.strip_prefix(tenant.to_string().as_str())
            .is_some_and(|rest| rest.starts_with('/'))
    };
    let allowed = SCOPE
        .try_with(|scope| {
            let scope = scope.borrow();
            if scope.confused {
                return false;
            }
            match &scope.tenant {
                Some(tenant) => in_folder(tenant),
                // Before the provider is known, no request touches a bucket.
                None => false,
            }
        })
        .unwrap_or(false);
    if allowed {
        return Ok(());
    }
    tracing::error!(key, "a bucket call outside the request's provider");
    Err(crate::ports::BlobError::InvalidKey(
        "a key outside the request's provider".into(),
    ))
}

/// A bucket, every call checked against the request's scope.
pub struct ScopedBlobs {
    inner: Arc<dyn crate::ports::Blobs>,
}

impl ScopedBlobs {
    pub fn new(inner: Arc<dyn crate::ports::Blobs>) -> Self {
        ScopedBlobs { inner }
    }
}

#[async_trait]
impl crate::ports::Blobs for ScopedBlobs {
    async fn put(
        &self,
        key: &BlobKey,
        body: ByteStream,
        content_type: &str,
    ) -> Result<BlobInfo, BlobError> {
        check_object(key.as_str())?;
        self.inner.put(key, body, content_type).await
    }
    async fn put_kept(
        &self,
        key: &BlobKey,
        body: ByteStream,
        content_type: &str,
        retention: Retention,
    ) -> Result<BlobInfo, BlobError> {
        check_object(key.as_str())?;
        self.inner
            .put_kept(key, body, content_type, retention)
            .await
    }
    async fn get(&self, key: &BlobKey) -> Result<Option<Download>, BlobError> {
        check_object(key.as_str())?;
        self.inner.get(key).await
    }
    async fn get_range(
        &self,
        key: &BlobKey,
        start: u64,
        len: u64,
    ) -> Result<Option<bytes::Bytes>, BlobError> {
        check_object(key.as_str())?;
        self.inner.get_range(key, start, len).await
    }
    async fn get_version(
        &self,
        key: &BlobKey,
        version: &str,
    ) -> Result<Option<Download>, BlobError> {
        check_object(key.as_str())?;
        self.inner.get_version(key, version).await
    }
    async fn store_again(
        &self,
        key: &BlobKey,
        version: Option<&str>,
    ) -> Result<Option<BlobInfo>, BlobError> {
        check_object(key.as_str())?;
        self.inner.store_again(key, version).await
    }
    async fn list(
        &self,
        prefix: &str,
        after: Option<String>,
        limit: usize,
    ) -> Result<Listing, BlobError> {
        check_object(prefix)?;
        self.inner.list(prefix, after, limit).await
    }
    async fn presign_get(
        &self,
        key: &BlobKey,
        expires_in: std::time::Duration,
    ) -> Result<String, BlobError> {
        check_object(key.as_str())?;
        self.inner.presign_get(key, expires_in).await
    }
    async fn presign_put(
        &self,
        key: &BlobKey,
        expires_in: std::time::Duration,
        content_type: &str,
    ) -> Result<String, BlobError> {
        check_object(key.as_str())?;
        self.inner.presign_put(key, expires_in, content_type).await
    }
}

fn item_partition(item: &Item) -> Result<String, TableError> {
    Key::of(item)
        .map(|k| k.pk)
        .ok_or_else(|| TableError::Invalid("an item without its key".into()))
}

/// The table, every call checked against the request's scope.
pub struct ScopedTable {
    inner: Arc<dyn Table>,
}

impl ScopedTable {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        ScopedTable { inner }
    }
}

#[async_trait]
impl Table for ScopedTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        check(&key.pk, Some(&key.sk), false)?;
        self.inner.get(key).await
    }
    async fn get_many(
        &self,
        keys: &[Key],
    ) -> Result<std::collections::BTreeMap<Key, Item>, TableError> {
        for key in keys {
            check(&key.pk, Some(&key.sk), false)?;
        }
        self.inner.get_many(keys).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        check(&item_partition(&item)?, None, true)?;
        self.inner.put(item, condition).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError> {
        check(&key.pk, None, true)?;
        self.inner.update(key, update, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError> {
        check(&key.pk, None, true)?;
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, TableError> {
        check(&query.partition, None, false)?;
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        for write in &writes {
            let key = write
                .key()
                .ok_or_else(|| TableError::Invalid("a write without its key".into()))?;
            // A check writes nothing: reading another provider's shared record is allowed.
            let read_only = matches!(write, Write::Check { .. });
            check(&key.pk, Some(&key.sk), !read_only)?;
        }
        self.inner.transact(writes).await
    }
    async fn put_many(&self, items: Vec<Item>) -> Result<(), TableError> {
        for item in &items {
            check(&item_partition(item)?, None, true)?;
        }
        self.inner.put_many(items).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::table::Value;

    /// A table that answers every read with nothing and takes every write.
    struct Empty;

    #[async_trait]
    impl Table for Empty {
        async fn get(&self, _: &Key) -> Result<Option<Item>, TableError> {
            Ok(None)
        }
        async fn put(&self, _: Item, _: Option<Condition>) -> Result<(), TableError> {
            Ok(())
        }
        async fn update(
            &self,
            _: &Key,
            _: Update,
            _: Option<Condition>,
        ) -> Result<Item, TableError> {
            Ok(Item::new())
        }
        async fn delete(&self, _: &Key, _: Option<Condition>) -> Result<(), TableError> {
            Ok(())
        }
        async fn query(&self, _: Query) -> Result<Page, TableError> {
            Ok(Page::default())
        }
        async fn transact(&self, _: Vec<Write>) -> Result<(), TableError> {
            Ok(())
        }
        async fn put_many(&self, _: Vec<Item>) -> Result<(), TableError> {
            Ok(())
        }
    }

    fn tenant(n: u8) -> TenantId {
        format!("01JDQ3Z8W5V4K1M2N3P4Q5R6S{n}").parse().unwrap()
    }

    fn item(pk: &str) -> Item {
        Item::from([
            ("pk".to_owned(), Value::S(pk.to_owned())),
            ("sk".to_owned(), Value::S("X".to_owned())),
        ])
    }

    #[tokio::test]
    async fn a_request_reaches_only_its_providers_items_and_the_shared_lookups() {
        let table = ScopedTable::new(Arc::new(Empty));
        let (acme, bluewave) = (tenant(1), tenant(2));
        let acmes = format!("TENANT#{acme}#ACCOUNT#1");
        let bluewaves = format!("TENANT#{bluewave}#ACCOUNT#1");
        serve(async {
            // Before the provider is known: the look-up of who it is.
            assert!(table.get(&Key::new("SLUG#acme", "TENANT")).await.is_ok());
            enter(&acme);
            assert!(table.get(&Key::new(acmes.clone(), "A")).await.is_ok());
            assert!(table.put(item(&acmes), None).await.is_ok());
            // Another provider's items: not read, not written, not queried.
            assert!(matches!(
                table.get(&Key::new(bluewaves.clone(), "A")).await,
                Err(TableError::Invalid(_))
            ));
            assert!(table.put(item(&bluewaves), None).await.is_err());
            let query = Query::partition(crate::ports::table::Index::Gsi1, bluewaves.clone());
            assert!(table.query(query).await.is_err());
            let writes = vec![
                Write::Put {
                    item: item(&acmes),
                    condition: None,
                },
                Write::Delete {
                    key: Key::new(bluewaves.clone(), "A"),
                    condition: None,
                },
            ];
            assert!(table.transact(writes).await.is_err());
            // A prefix of another id is not the id.
            let longer = format!("TENANT#{acme}X#ACCOUNT#1");
            assert!(table.get(&Key::new(longer, "A")).await.is_err());
            // Another provider's record is read, never written; the rest of its
            // partition (its settings, its payment keys) is not read at all.
            let theirs = format!("TENANT#{bluewave}");
            assert!(table.get(&Key::new(theirs.clone(), "TENANT")).await.is_ok());
            assert!(table.put(item(&theirs), None).await.is_err());
            let gateway = Key::new(theirs.clone(), "PAYMENT_GATEWAY");
            assert!(table.get(&gateway).await.is_err());
            let whole = Query::partition(crate::ports::table::Index::Primary, theirs.clone());
            assert!(table.query(whole).await.is_err());
            // Reached on purpose (a wholesaler's retailer's account): that partition only.
            reach(bluewaves.clone());
            assert!(table.put(item(&bluewaves), None).await.is_ok());
            let other = format!("TENANT#{bluewave}#ACCOUNT#2");
            assert!(table.put(item(&other), None).await.is_err());
            // Work the request spawns keeps its scope.
            let spawned = {
                let table = ScopedTable::new(Arc::new(Empty));
                let other = other.clone();
                spawn(async move { table.get(&Key::new(other, "A")).await.is_err() })
            };
            assert!(spawned.await.unwrap(), "a spawned task is checked too");
        })
        .await;
        // The app's table with no request around it: refused (a lost scope).
        assert!(table.put(item(&acmes), None).await.is_err());
    }

    #[tokio::test]
    async fn a_request_reaches_only_its_providers_objects() {
        let (acme, bluewave) = (tenant(1), tenant(2));
        serve(async {
            enter(&acme);
            assert!(check_object(&format!("{acme}/usage/nov.csv")).is_ok());
            assert!(check_object(&format!("{bluewave}/usage/nov.csv")).is_err());
            assert!(check_object(&format!("{acme}x/usage/nov.csv")).is_err());
            assert!(check_object("_bill-runs/plan.json").is_err());
        })
        .await;
        assert!(
            check_object("_bill-runs/plan.json").is_err(),
            "no request scope"
        );
    }

    #[tokio::test]
    async fn a_request_that_names_two_providers_reaches_neither() {
        let table = ScopedTable::new(Arc::new(Empty));
        let (acme, bluewave) = (tenant(1), tenant(2));
        serve(async {
            enter(&acme);
            enter(&bluewave);
            let own = format!("TENANT#{acme}#ACCOUNT#1");
            assert!(table.get(&Key::new(own, "A")).await.is_err());
        })
        .await;
    }
}
