//! Writes over the single table the way every capability makes them: a record saved over
//! the version it was read at (a concurrent change makes it fail, never lose the other),
//! and transactions whose writes carry names, so a refusal says which condition failed
//! ("the username claim", "the order's version") rather than where it sat in the list.

use crate::ports::table::{Condition, Item, Key, Table, TableError, Update, Value, Write};

/// The attribute every versioned record keeps its version in.
pub const VERSION: &str = "version";

/// The condition that the stored record is still at `read_at`.
pub fn on_version(read_at: u64) -> Condition {
    Condition::Equals(VERSION.into(), Value::N(read_at as i64))
}

/// Puts `item` (already holding its next version) over the version it was read at.
pub fn put_on_version(item: Item, read_at: u64) -> Write {
    Write::Put {
        item,
        condition: Some(on_version(read_at)),
    }
}

/// Applies `update` to the record at `key`, and moves its version on, over the version it
/// was read at.
pub fn update_on_version(key: Key, update: Update, read_at: u64) -> Write {
    Write::Update {
        key,
        update: update.add(VERSION, 1),
        condition: Some(on_version(read_at)),
    }
}

/// What saving over a version came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Saved {
    Saved,
    /// The record changed since it was read: nothing was written.
    Stale,
}

/// Saves `item` over the version it was read at, alone.
pub async fn save_on_version(
    table: &dyn Table,
    item: Item,
    read_at: u64,
) -> Result<Saved, TableError> {
    match table.put(item, Some(on_version(read_at))).await {
        Ok(()) => Ok(Saved::Saved),
        Err(TableError::ConditionFailed) => Ok(Saved::Stale),
        Err(e) => Err(e),
    }
}

/// A write and the name a refusal of its condition is told by.
pub type NamedWrite = (&'static str, Write);

/// Writes that land together or not at all, each under a name.
#[derive(Debug, Default)]
pub struct Transaction {
    writes: Vec<NamedWrite>,
}

/// Why a transaction wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum TransactionError {
    /// The condition of the write of this name did not hold.
    #[error("the condition of the {0} did not hold")]
    ConditionFailed(&'static str),
    /// Another transaction touched the same items meanwhile; retrying may succeed.
    #[error("the transaction conflicted with another one")]
    Conflict,
    #[error(transparent)]
    Table(TableError),
}

impl TransactionError {
    /// A failed condition or a conflict: the records changed meanwhile.
    pub fn is_contention(&self) -> bool {
        matches!(
            self,
            TransactionError::ConditionFailed(_) | TransactionError::Conflict
        )
    }
}

impl From<TransactionError> for TableError {
    /// For callers that tell no condition apart: the port's own error.
    fn from(e: TransactionError) -> Self {
        match e {
            TransactionError::ConditionFailed(_) => TableError::ConditionFailed,
            TransactionError::Conflict => TableError::TransactionConflict,
            TransactionError::Table(e) => e,
        }
    }
}

impl Transaction {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: &'static str, write: Write) -> &mut Self {
        self.writes.push((name, write));
        self
    }

    /// Adds each of `writes` under one name.
    pub fn extend(&mut self, name: &'static str, writes: impl IntoIterator<Item = Write>) {
        self.writes.extend(writes.into_iter().map(|w| (name, w)));
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    pub async fn commit(self, table: &dyn Table) -> Result<(), TransactionError> {
        let (names, writes): (Vec<&'static str>, Vec<Write>) = self.writes.into_iter().unzip();
        match table.transact(writes).await {
            Ok(()) => Ok(()),
            Err(TableError::TransactionConditionFailed { index }) => Err(
                TransactionError::ConditionFailed(names.get(index).copied().unwrap_or("write")),
            ),
            Err(TableError::TransactionConflict) => Err(TransactionError::Conflict),
            Err(e) => Err(TransactionError::Table(e)),
        }
    }
}
