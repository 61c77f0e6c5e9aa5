//! The Table port: a DynamoDB-shaped single table.
//!
//! Items are maps of attribute names to [`Value`]s. Every item has a string partition key
//! (`pk`) and sort key (`sk`); two global secondary indexes (`gsi1pk`/`gsi1sk`,
//! `gsi2pk`/`gsi2sk`) and a TTL attribute (`expires_at`, epoch seconds) complete the shape.
//! There is no scan: every read names a partition.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use async_trait::async_trait;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
pub const GSI2_PK: &str = "gsi2pk";
pub const GSI2_SK: &str = "gsi2sk";
/// Items whose `expires_at` (epoch seconds) is in the past are never returned by reads,
/// whether or not the store has removed them yet (DynamoDB removes them up to days later).
pub const EXPIRES_AT: &str = "expires_at";
/// The most writes and checks one transaction may hold (DynamoDB's limit).
pub const MAX_TRANSACTION_ITEMS: usize = 100;

/// One attribute value. Numbers are integers: money is kept in minor units and counters
/// are whole, so nothing in selfcare needs a decimal attribute.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Value {
    S(String),
    N(i64),
    B(Vec<u8>),
    Bool(bool),
    Null,
    L(Vec<Value>),
    M(BTreeMap<String, Value>),
    Ss(BTreeSet<String>),
}

impl Value {
    pub fn as_s(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_n(&self) -> Option<i64> {
        match self {
            Value::N(n) => Some(*n),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::S(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::S(s)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::N(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

pub type Item = BTreeMap<String, Value>;

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Key {
            pk: pk.into(),
            sk: sk.into(),
        }
    }

    /// The key of an item, if it has string `pk` and `sk` attributes.
    pub fn of(item: &Item) -> Option<Key> {
        Some(Key::new(item.get(PK)?.as_s()?, item.get(SK)?.as_s()?))
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / {}", self.pk, self.sk)
    }
}

/// A condition on the item a write touches, checked atomically with the write.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The item exists.
    Exists,
    /// No item has this key.
    Absent,
    /// The item exists and the attribute equals the value.
    Equals(String, Value),
    /// Every condition holds.
    All(Vec<Condition>),
}

impl Condition {
    /// Does `item` (None when absent) satisfy the condition?
    pub fn holds_for(&self, item: Option<&Item>) -> bool {
        match self {
            Condition::Exists => item.is_some(),
            Condition::Absent => item.is_none(),
            Condition::Equals(name, value) => item.and_then(|i| i.get(name)) == Some(value),
            Condition::All(all) => all.iter().all(|c| c.holds_for(item)),
        }
    }
}

/// Changes to one item. Updating an absent item creates it (unless a condition forbids).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    pub set: Vec<(String, Value)>,
    /// Atomic counters: adds to a number attribute (absent counts as zero).
    pub add: Vec<(String, i64)>,
    pub remove: Vec<String>,
}

impl Update {
    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set.push((name.to_owned(), value.into()));
        self
    }
    pub fn add(mut self, name: &str, by: i64) -> Self {
        self.add.push((name.to_owned(), by));
        self
    }
    pub fn remove(mut self, name: &str) -> Self {
        self.remove.push(name.to_owned());
        self
    }

    /// Applies the update to `item` (the current item, if any) under `key`.
    pub fn apply(&self, key: &Key, item: Option<Item>) -> Result<Item, TableError> {
        let mut item = item.unwrap_or_else(|| {
            Item::from([
                (PK.to_owned(), Value::S(key.pk.clone())),
                (SK.to_owned(), Value::S(key.sk.clone())),
            ])
        });
        for (name, value) in &self.set {
            if name == PK || name == SK {
                return Err(TableError::Invalid(
                    "an update cannot change the key".into(),
                ));
            }
            item.insert(name.clone(), value.clone());
        }
        for (name, by) in &self.add {
            let current = match item.get(name) {
                None => 0,
                Some(Value::N(n)) => *n,
                Some(_) => {
                    return Err(TableError::Invalid(format!("`{name}` is not a number")));
                }
            };
            let sum = current
                .checked_add(*by)
                .ok_or_else(|| TableError::Invalid(format!("`{name}` would overflow")))?;
            item.insert(name.clone(), Value::N(sum));
        }
        for name in &self.remove {
            if name == PK || name == SK {
                return Err(TableError::Invalid(
                    "an update cannot remove the key".into(),
                ));
            }
            item.remove(name);
        }
        Ok(item)
    }
}

/// Which part of a partition a query reads.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Any,
    Equals(String),
    BeginsWith(String),
    /// Inclusive at both ends.
    Between(String, String),
    GreaterThan(String),
    LessThan(String),
}

impl SortKey {
    pub fn matches(&self, sk: &str) -> bool {
        match self {
            SortKey::Any => true,
            SortKey::Equals(v) => sk == v,
            SortKey::BeginsWith(p) => sk.starts_with(p.as_str()),
            SortKey::Between(lo, hi) => sk >= lo.as_str() && sk <= hi.as_str(),
            SortKey::GreaterThan(v) => sk > v.as_str(),
            SortKey::LessThan(v) => sk < v.as_str(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Index {
    Primary,
    Gsi1,
    Gsi2,
}

impl Index {
    /// The partition and sort key attribute names of the index.
    pub fn key_names(self) -> (&'static str, &'static str) {
        match self {
            Index::Primary => (PK, SK),
            Index::Gsi1 => (GSI1_PK, GSI1_SK),
            Index::Gsi2 => (GSI2_PK, GSI2_SK),
        }
    }
    pub fn name(self) -> Option<&'static str> {
        match self {
            Index::Primary => None,
            Index::Gsi1 => Some("gsi1"),
            Index::Gsi2 => Some("gsi2"),
        }
    }
}

/// Where the previous page stopped: the key attributes of its last item.
/// Opaque to clients; the store signs it before it leaves the process.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cursor(pub BTreeMap<String, String>);

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub index: Index,
    pub partition: String,
    pub sort: SortKey,
    /// Ascending sort key order when true.
    pub forward: bool,
    /// The most items evaluated for this page (expired ones count, as DynamoDB's filters do).
    pub limit: usize,
    pub after: Option<Cursor>,
    /// Read what every write acknowledged before it (DynamoDB's strongly consistent read;
    /// the primary index only). The embedded table always does.
    pub consistent: bool,
}

impl Query {
    pub fn partition(index: Index, partition: impl Into<String>) -> Self {
        Query {
            index,
            partition: partition.into(),
            sort: SortKey::Any,
            forward: true,
            limit: 100,
            after: None,
            consistent: false,
        }
    }
    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }
    pub fn sort(mut self, sort: SortKey) -> Self {
        self.sort = sort;
        self
    }
    pub fn backward(mut self) -> Self {
        self.forward = false;
        self
    }
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.after = cursor;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Present when more items may follow.
    pub next: Option<Cursor>,
}

/// One write of a transaction.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Update {
        key: Key,
        update: Update,
        condition: Option<Condition>,
    },
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    /// Writes nothing; fails the transaction unless the condition holds.
    Check { key: Key, condition: Condition },
}

impl Write {
    pub fn key(&self) -> Option<Key> {
        match self {
            Write::Put { item, .. } => Key::of(item),
            Write::Update { key, .. } | Write::Delete { key, .. } | Write::Check { key, .. } => {
                Some(key.clone())
            }
        }
    }
    pub fn condition(&self) -> Option<&Condition> {
        match self {
            Write::Put { condition, .. }
            | Write::Update { condition, .. }
            | Write::Delete { condition, .. } => condition.as_ref(),
            Write::Check { condition, .. } => Some(condition),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The write's condition did not hold; nothing was written.
    #[error("the condition of the write did not hold")]
    ConditionFailed,
    /// Write number `index` (0-based) of a transaction failed its condition; nothing was written.
    #[error("write {index} of the transaction failed its condition")]
    TransactionConditionFailed { index: usize },
    /// Another transaction touched the same items; nothing was written, retry.
    #[error("the transaction conflicted with another one")]
    TransactionConflict,
    /// The request could never succeed (an item too large, a bad expression): our fault.
    #[error("invalid request: {0}")]
    Invalid(String),
    /// A stored item is not a record this version can read: our fault, never retried.
    #[error("unreadable stored item: {0}")]
    Unreadable(String),
    /// The store would not answer (throttled past our retries, down, unreachable).
    #[error("the table is unavailable: {0}")]
    Unavailable(String),
}

/// A change to one item, as the table's stream reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub kind: ChangeKind,
    pub key: Key,
    pub old: Option<Item>,
    pub new: Option<Item>,
    /// Orders changes of one item; opaque.
    pub sequence: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Insert,
    Modify,
    Remove,
}

#[async_trait]
pub trait Table: Send + Sync {
    /// A strongly consistent read of one item; expired items read as absent.
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError>;
    /// Strongly consistent reads of many items (duplicate keys read once); the items found,
    /// by key. Absent and expired items are not in the answer.
    async fn get_many(&self, keys: &[Key]) -> Result<BTreeMap<Key, Item>, TableError> {
        let mut found = BTreeMap::new();
        for key in keys {
            if found.contains_key(key) {
                continue;
            }
            if let Some(item) = self.get(key).await? {
                found.insert(key.clone(), item);
            }
        }
        Ok(found)
    }
    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError>;
    /// Applies `update` and returns the item as it is afterwards.
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError>;
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError>;
    /// One page of a partition of the table or of an index. Expired items are left out.
    async fn query(&self, query: Query) -> Result<Page, TableError>;
    /// All writes or none, up to [`MAX_TRANSACTION_ITEMS`], no two on the same key.
    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError>;
    /// Unconditional puts of any number of items, for bulk loads. Not atomic: on error
    /// some items may have been written; writing them again is harmless.
    async fn put_many(&self, items: Vec<Item>) -> Result<(), TableError>;
}

/// Reads the table's change stream, at least once: changes come back until acknowledged.
#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// The changes after the last acknowledged one, oldest first; empty when none wait.
    async fn next_changes(&self) -> Result<Vec<Change>, TableError>;
    /// Marks every change up to and including `through` as handled.
    async fn acknowledge(&self, through: &Change) -> Result<(), TableError>;
}

/// Checks the shape a transaction must have, whatever the adapter.
pub fn check_transaction(writes: &[Write]) -> Result<(), TableError> {
    if writes.is_empty() {
        return Err(TableError::Invalid(
            "a transaction needs at least one write".into(),
        ));
    }
    if writes.len() > MAX_TRANSACTION_ITEMS {
        return Err(TableError::Invalid(format!(
            "a transaction holds at most {MAX_TRANSACTION_ITEMS} writes, not {}",
            writes.len()
        )));
    }
    let mut seen = BTreeSet::new();
    for write in writes {
        let key = write
            .key()
            .ok_or_else(|| TableError::Invalid("an item lacks its pk or sk".into()))?;
        if !seen.insert(key.clone()) {
            return Err(TableError::Invalid(format!(
                "a transaction touches {key} twice"
            )));
        }
    }
    Ok(())
}

/// Is the item past its `expires_at`?
pub fn is_expired(item: &Item, now_epoch_seconds: i64) -> bool {
    matches!(item.get(EXPIRES_AT), Some(Value::N(at)) if *at <= now_epoch_seconds)
}
