//! A Table wrapper that counts round trips, so tests can hold a request to its budget
//! ("a read endpoint costs one query").

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use super::table::{Condition, Item, Key, Page, Query, Table, TableError, Update, Write};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundTrips {
    pub gets: usize,
    pub queries: usize,
    pub writes: usize,
}

impl RoundTrips {
    pub fn total(&self) -> usize {
        self.gets + self.queries + self.writes
    }
}

pub struct CountingTable {
    inner: Arc<dyn Table>,
    gets: AtomicUsize,
    queries: AtomicUsize,
    writes: AtomicUsize,
}

impl CountingTable {
    pub fn new(inner: Arc<dyn Table>) -> Self {
        CountingTable {
            inner,
            gets: AtomicUsize::new(0),
            queries: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
        }
    }

    /// The round trips since the last call, and starts counting afresh.
    pub fn take(&self) -> RoundTrips {
        RoundTrips {
            gets: self.gets.swap(0, Ordering::SeqCst),
            queries: self.queries.swap(0, Ordering::SeqCst),
            writes: self.writes.swap(0, Ordering::SeqCst),
        }
    }

    fn count(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Table for CountingTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        Self::count(&self.gets);
        self.inner.get(key).await
    }
    /// One round trip per 100 keys, as DynamoDB's BatchGetItem takes them.
    async fn get_many(
        &self,
        keys: &[Key],
    ) -> Result<std::collections::BTreeMap<Key, Item>, TableError> {
        for _ in 0..keys.len().div_ceil(100) {
            Self::count(&self.gets);
        }
        self.inner.get_many(keys).await
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        Self::count(&self.writes);
        self.inner.put(item, condition).await
    }
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError> {
        Self::count(&self.writes);
        self.inner.update(key, update, condition).await
    }
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError> {
        Self::count(&self.writes);
        self.inner.delete(key, condition).await
    }
    async fn query(&self, query: Query) -> Result<Page, TableError> {
        Self::count(&self.queries);
        self.inner.query(query).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        Self::count(&self.writes);
        self.inner.transact(writes).await
    }
    async fn put_many(&self, items: Vec<Item>) -> Result<(), TableError> {
        Self::count(&self.writes);
        self.inner.put_many(items).await
    }
}
