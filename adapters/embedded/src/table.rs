//! The embedded Table: one redb file on local disk, with the same semantics as the
//! DynamoDB adapter (conditions, transactions, indexes, TTL, a change stream).
//!
//! redb tables used (keys are strings joined with NUL, which no selfcare key contains):
//! - `items`: `pk NUL sk` → the item as JSON;
//! - `gsi1`, `gsi2`: `gsipk NUL gsisk NUL pk NUL sk` → nothing;
//! - `ttl`: `expires_at (20 digits) NUL pk NUL sk` → nothing, to purge expired items;
//! - `changes`: sequence → the change as JSON (the stream), and `checkpoints`: reader → sequence.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

use selfcare::ports::Clock;
use selfcare::ports::table::{
    Change, ChangeFeed, ChangeKind, Condition, Cursor, EXPIRES_AT, Index, Item, Key, PK, Page,
    Query, SK, Table, TableError, Update, Value, Write, check_transaction, is_expired,
};

const CACHE_BYTES: usize = 64 * 1024 * 1024;
const ITEMS: TableDefinition<&str, &[u8]> = TableDefinition::new("items");
const GSI1: TableDefinition<&str, ()> = TableDefinition::new("gsi1");
const GSI2: TableDefinition<&str, ()> = TableDefinition::new("gsi2");
const TTL: TableDefinition<&str, ()> = TableDefinition::new("ttl");
const CHANGES: TableDefinition<u64, &[u8]> = TableDefinition::new("changes");
const CHECKPOINTS: TableDefinition<&str, u64> = TableDefinition::new("checkpoints");

const SEP: char = '\0';

pub struct EmbeddedTable {
    db: Arc<Database>,
    clock: Arc<dyn Clock>,
}

fn storage(e: impl std::fmt::Display) -> TableError {
    TableError::Unavailable(format!("embedded table: {e}"))
}

fn primary_key(key: &Key) -> String {
    format!("{}{SEP}{}", key.pk, key.sk)
}

fn index_entry(index: Index, item: &Item, key: &Key) -> Option<String> {
    let (pk_name, sk_name) = index.key_names();
    let pk = item.get(pk_name)?.as_s()?;
    let sk = item.get(sk_name)?.as_s()?;
    Some(format!("{pk}{SEP}{sk}{SEP}{}{SEP}{}", key.pk, key.sk))
}

fn ttl_entry(item: &Item, key: &Key) -> Option<String> {
    match item.get(EXPIRES_AT) {
        Some(Value::N(at)) if *at >= 0 => Some(format!("{at:020}{SEP}{}{SEP}{}", key.pk, key.sk)),
        _ => None,
    }
}

fn check_key_text(text: &str) -> Result<(), TableError> {
    if text.is_empty() || text.contains(SEP) {
        return Err(TableError::Invalid(
            "key attributes must be non-empty and contain no NUL".into(),
        ));
    }
    Ok(())
}

fn check_item(item: &Item) -> Result<Key, TableError> {
    let key = Key::of(item)
        .ok_or_else(|| TableError::Invalid("an item needs string pk and sk attributes".into()))?;
    check_key_text(&key.pk)?;
    check_key_text(&key.sk)?;
    for index in [Index::Gsi1, Index::Gsi2] {
        let (pk_name, sk_name) = index.key_names();
        for name in [pk_name, sk_name] {
            match item.get(name) {
                None => {}
                Some(Value::S(s)) => check_key_text(s)?,
                Some(_) => {
                    return Err(TableError::Invalid(format!("`{name}` must be a string")));
                }
            }
        }
    }
    Ok(key)
}

fn decode(bytes: &[u8]) -> Result<Item, TableError> {
    serde_json::from_slice(bytes).map_err(storage)
}

fn encode(item: &Item) -> Result<Vec<u8>, TableError> {
    serde_json::to_vec(item).map_err(storage)
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredChange {
    kind: String,
    pk: String,
    sk: String,
    old: Option<Item>,
    new: Option<Item>,
}

impl EmbeddedTable {
    /// Opens (or creates) the table file.
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Self, TableError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(storage)?;
        }
        // A bounded page cache: redb's default (1 GiB) would let one bulk load hold hundreds
        // of MiB; the local runtime and the benchmarks stay small with this.
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(storage)?;
        let txn = db.begin_write().map_err(storage)?;
        {
            txn.open_table(ITEMS).map_err(storage)?;
            txn.open_table(GSI1).map_err(storage)?;
            txn.open_table(GSI2).map_err(storage)?;
            txn.open_table(TTL).map_err(storage)?;
            txn.open_table(CHANGES).map_err(storage)?;
            txn.open_table(CHECKPOINTS).map_err(storage)?;
        }
        txn.commit().map_err(storage)?;
        Ok(EmbeddedTable {
            db: Arc::new(db),
            clock,
        })
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Database) -> Result<T, TableError> + Send + 'static,
    ) -> Result<T, TableError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&db))
            .await
            .map_err(storage)?
    }

    /// A reader of this table's change stream that remembers, across restarts, how far
    /// the reader named `reader` has acknowledged.
    pub fn change_feed(&self, reader: &str) -> EmbeddedChangeFeed {
        EmbeddedChangeFeed {
            db: self.db.clone(),
            reader: reader.to_owned(),
            batch: 100,
        }
    }

    /// Removes items past their `expires_at`, as DynamoDB's TTL does (with a REMOVE on the
    /// stream). Returns how many were removed.
    pub async fn purge_expired(&self) -> Result<usize, TableError> {
        let now = self.now();
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(storage)?;
            let mut removed = 0;
            {
                let due: Vec<Key> = {
                    let ttl = txn.open_table(TTL).map_err(storage)?;
                    let end = format!("{:020}{SEP}", now.max(0) + 1);
                    let mut keys = Vec::new();
                    for entry in ttl.range::<&str>(..end.as_str()).map_err(storage)? {
                        let (k, _) = entry.map_err(storage)?;
                        let mut parts = k.value().splitn(3, SEP);
                        parts.next();
                        if let (Some(pk), Some(sk)) = (parts.next(), parts.next()) {
                            keys.push(Key::new(pk, sk));
                        }
                    }
                    keys
                };
                let mut writer = Writer::open(&txn)?;
                for key in due {
                    let old = writer.read(&key)?;
                    if old.as_ref().is_some_and(|item| is_expired(item, now)) {
                        writer.store(&key, old, None)?;
                        removed += 1;
                    }
                }
            }
            txn.commit().map_err(storage)?;
            Ok(removed)
        })
        .await
    }
}

/// The tables a write transaction touches, opened once for all its writes (opening a
/// table per write cost more than the write itself in bulk loads).
struct Writer<'t> {
    items: redb::Table<'t, &'static str, &'static [u8]>,
    gsi1: redb::Table<'t, &'static str, ()>,
    gsi2: redb::Table<'t, &'static str, ()>,
    ttl: redb::Table<'t, &'static str, ()>,
    changes: redb::Table<'t, u64, &'static [u8]>,
    next_change: u64,
}

impl<'t> Writer<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<Self, TableError> {
        let changes = txn.open_table(CHANGES).map_err(storage)?;
        let next_change = changes
            .last()
            .map_err(storage)?
            .map(|(k, _)| k.value() + 1)
            .unwrap_or(1);
        Ok(Writer {
            items: txn.open_table(ITEMS).map_err(storage)?,
            gsi1: txn.open_table(GSI1).map_err(storage)?,
            gsi2: txn.open_table(GSI2).map_err(storage)?,
            ttl: txn.open_table(TTL).map_err(storage)?,
            changes,
            next_change,
        })
    }

    fn read(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let found = self.items.get(primary_key(key).as_str()).map_err(storage)?;
        found.map(|v| decode(v.value())).transpose()
    }

    /// Replaces the item under `key` (None deletes it), keeping the indexes and the stream
    /// in step. Writes that change nothing leave no change record, as in DynamoDB.
    fn store(&mut self, key: &Key, old: Option<Item>, new: Option<Item>) -> Result<(), TableError> {
        if old == new {
            return Ok(());
        }
        let primary = primary_key(key);
        match &new {
            Some(item) => {
                self.items
                    .insert(primary.as_str(), encode(item)?.as_slice())
                    .map_err(storage)?;
            }
            None => {
                self.items.remove(primary.as_str()).map_err(storage)?;
            }
        }
        for index in [Index::Gsi1, Index::Gsi2] {
            let table = if index == Index::Gsi1 {
                &mut self.gsi1
            } else {
                &mut self.gsi2
            };
            if let Some(entry) = old.as_ref().and_then(|i| index_entry(index, i, key)) {
                table.remove(entry.as_str()).map_err(storage)?;
            }
            if let Some(entry) = new.as_ref().and_then(|i| index_entry(index, i, key)) {
                table.insert(entry.as_str(), ()).map_err(storage)?;
            }
        }
        if let Some(entry) = old.as_ref().and_then(|i| ttl_entry(i, key)) {
            self.ttl.remove(entry.as_str()).map_err(storage)?;
        }
        if let Some(entry) = new.as_ref().and_then(|i| ttl_entry(i, key)) {
            self.ttl.insert(entry.as_str(), ()).map_err(storage)?;
        }
        let kind = match (&old, &new) {
            (None, Some(_)) => "INSERT",
            (Some(_), Some(_)) => "MODIFY",
            _ => "REMOVE",
        };
        let change = StoredChange {
            kind: kind.into(),
            pk: key.pk.clone(),
            sk: key.sk.clone(),
            old,
            new,
        };
        let bytes = serde_json::to_vec(&change).map_err(storage)?;
        self.changes
            .insert(self.next_change, bytes.as_slice())
            .map_err(storage)?;
        self.next_change += 1;
        Ok(())
    }

    /// Applies one write, or reports that its condition failed.
    fn apply(&mut self, write: Write) -> Result<Result<(), ()>, TableError> {
        let key = match write.key() {
            Some(key) => key,
            None => return Err(TableError::Invalid("an item lacks its pk or sk".into())),
        };
        check_key_text(&key.pk)?;
        check_key_text(&key.sk)?;
        let old = self.read(&key)?;
        // Conditions see every stored item, expired or not, as DynamoDB's do.
        if let Some(condition) = write.condition()
            && !condition.holds_for(old.as_ref())
        {
            return Ok(Err(()));
        }
        let new = match write {
            Write::Put { item, .. } => {
                check_item(&item)?;
                Some(item)
            }
            Write::Update { update, .. } => {
                let item = update.apply(&key, old.clone())?;
                check_item(&item)?;
                Some(item)
            }
            Write::Delete { .. } => None,
            Write::Check { .. } => return Ok(Ok(())),
        };
        self.store(&key, old, new)?;
        Ok(Ok(()))
    }
}

/// Applies one write in a transaction of its own, or reports that its condition failed.
fn apply_write(txn: &WriteTransaction, write: Write) -> Result<Result<(), ()>, TableError> {
    Writer::open(txn)?.apply(write)
}

fn read_item(txn: &WriteTransaction, key: &Key) -> Result<Option<Item>, TableError> {
    let items = txn.open_table(ITEMS).map_err(storage)?;
    let found = items.get(primary_key(key).as_str()).map_err(storage)?;
    found.map(|v| decode(v.value())).transpose()
}

/// Visits the keys of a range in either direction until `visit` says stop; true when it
/// stopped early (so more may follow).
fn walk<V: redb::Value + 'static>(
    range: redb::Range<'_, &'static str, V>,
    forward: bool,
    visit: &mut impl FnMut(&str) -> Result<bool, TableError>,
) -> Result<bool, TableError> {
    let mut step = |entry: Result<
        (
            redb::AccessGuard<'_, &'static str>,
            redb::AccessGuard<'_, V>,
        ),
        redb::StorageError,
    >| {
        let (key, _) = entry.map_err(storage)?;
        visit(key.value())
    };
    if forward {
        for entry in range {
            if !step(entry)? {
                return Ok(true);
            }
        }
    } else {
        for entry in range.rev() {
            if !step(entry)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

#[async_trait]
impl Table for EmbeddedTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        let key = key.clone();
        let now = self.now();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(storage)?;
            let items = txn.open_table(ITEMS).map_err(storage)?;
            let found = items.get(primary_key(&key).as_str()).map_err(storage)?;
            let item = found.map(|v| decode(v.value())).transpose()?;
            Ok(item.filter(|item| !is_expired(item, now)))
        })
        .await
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        check_item(&item)?;
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(storage)?;
            if apply_write(&txn, Write::Put { item, condition })?.is_err() {
                return Err(TableError::ConditionFailed);
            }
            txn.commit().map_err(storage)
        })
        .await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError> {
        let key = key.clone();
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(storage)?;
            let write = Write::Update {
                key: key.clone(),
                update,
                condition,
            };
            if apply_write(&txn, write)?.is_err() {
                return Err(TableError::ConditionFailed);
            }
            let item =
                read_item(&txn, &key)?.ok_or_else(|| storage("the updated item vanished"))?;
            txn.commit().map_err(storage)?;
            Ok(item)
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> Result<(), TableError> {
        let key = key.clone();
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(storage)?;
            if apply_write(&txn, Write::Delete { key, condition })?.is_err() {
                return Err(TableError::ConditionFailed);
            }
            txn.commit().map_err(storage)
        })
        .await
    }

    async fn query(&self, query: Query) -> Result<Page, TableError> {
        if query.limit == 0 {
            return Err(TableError::Invalid(
                "a query's limit must be at least 1".into(),
            ));
        }
        let now = self.now();
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(storage)?;
            let items = txn.open_table(ITEMS).map_err(storage)?;
            let (pk_name, sk_name) = query.index.key_names();
            let prefix = format!("{}{SEP}", query.partition);
            let end = format!("{}\u{1}", query.partition);
            // Resume strictly after the cursor's position in the index's order.
            let resume = match &query.after {
                None => None,
                Some(Cursor(fields)) => {
                    let field = |name: &str| {
                        fields
                            .get(name)
                            .cloned()
                            .ok_or_else(|| TableError::Invalid("the cursor is malformed".into()))
                    };
                    let mut entry = format!("{prefix}{}", field(sk_name)?);
                    if query.index != Index::Primary {
                        entry = format!("{entry}{SEP}{}{SEP}{}", field(PK)?, field(SK)?);
                    }
                    Some(entry)
                }
            };
            let lower = match (&resume, query.forward) {
                (Some(r), true) => Bound::Excluded(r.as_str()),
                _ => Bound::Included(prefix.as_str()),
            };
            let upper = match (&resume, query.forward) {
                (Some(r), false) => Bound::Excluded(r.as_str()),
                _ => Bound::Excluded(end.as_str()),
            };
            let mut evaluated = 0;
            let mut page = Page::default();
            let mut last: Option<Item> = None;
            let mut visit = |entry: &str| -> Result<bool, TableError> {
                let rest = &entry[prefix.len()..];
                let (sk, key) = if query.index == Index::Primary {
                    (rest, Key::new(query.partition.clone(), rest))
                } else {
                    let mut parts = rest.splitn(3, SEP);
                    let sk = parts.next().unwrap_or_default();
                    let pk = parts.next().unwrap_or_default();
                    let item_sk = parts.next().unwrap_or_default();
                    (sk, Key::new(pk, item_sk))
                };
                if !query.sort.matches(sk) {
                    return Ok(true);
                }
                let Some(stored) = items.get(primary_key(&key).as_str()).map_err(storage)? else {
                    return Ok(true);
                };
                let item = decode(stored.value())?;
                evaluated += 1;
                if !is_expired(&item, now) {
                    page.items.push(item.clone());
                }
                last = Some(item);
                Ok(evaluated < query.limit)
            };
            let more = match query.index {
                Index::Primary => {
                    let range = items.range::<&str>((lower, upper)).map_err(storage)?;
                    walk(range, query.forward, &mut visit)?
                }
                Index::Gsi1 | Index::Gsi2 => {
                    let definition = if query.index == Index::Gsi1 {
                        GSI1
                    } else {
                        GSI2
                    };
                    let table = txn.open_table(definition).map_err(storage)?;
                    let range = table.range::<&str>((lower, upper)).map_err(storage)?;
                    walk(range, query.forward, &mut visit)?
                }
            };
            if more && let Some(last) = last {
                let mut fields = std::collections::BTreeMap::new();
                for name in [PK, SK, pk_name, sk_name] {
                    if let Some(Value::S(s)) = last.get(name) {
                        fields.insert(name.to_owned(), s.clone());
                    }
                }
                page.next = Some(Cursor(fields));
            }
            Ok(page)
        })
        .await
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        check_transaction(&writes)?;
        self.blocking(move |db| {
            // redb has one writer at a time, so the checks and writes below are atomic.
            let txn = db.begin_write().map_err(storage)?;
            let failed = {
                let mut writer = Writer::open(&txn)?;
                let mut failed = None;
                for (index, write) in writes.into_iter().enumerate() {
                    if writer.apply(write)?.is_err() {
                        failed = Some(index);
                        break;
                    }
                }
                failed
            };
            if let Some(index) = failed {
                txn.abort().map_err(storage)?;
                return Err(TableError::TransactionConditionFailed { index });
            }
            txn.commit().map_err(storage)
        })
        .await
    }

    async fn put_many(&self, items: Vec<Item>) -> Result<(), TableError> {
        for item in &items {
            check_item(item)?;
        }
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(storage)?;
            {
                let mut writer = Writer::open(&txn)?;
                for item in items {
                    writer
                        .apply(Write::Put {
                            item,
                            condition: None,
                        })?
                        .map_err(|_| storage("an unconditional put failed its condition"))?;
                }
            }
            txn.commit().map_err(storage)
        })
        .await
    }
}

/// Reads the embedded table's stream from the reader's last acknowledged change.
pub struct EmbeddedChangeFeed {
    db: Arc<Database>,
    reader: String,
    batch: usize,
}

#[async_trait]
impl ChangeFeed for EmbeddedChangeFeed {
    async fn next_changes(&self) -> Result<Vec<Change>, TableError> {
        let db = self.db.clone();
        let reader = self.reader.clone();
        let batch = self.batch;
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().map_err(storage)?;
            let checkpoints = txn.open_table(CHECKPOINTS).map_err(storage)?;
            let from = checkpoints
                .get(reader.as_str())
                .map_err(storage)?
                .map(|v| v.value())
                .unwrap_or(0);
            let changes = txn.open_table(CHANGES).map_err(storage)?;
            let mut out = Vec::new();
            for entry in changes.range((from + 1)..).map_err(storage)?.take(batch) {
                let (sequence, bytes) = entry.map_err(storage)?;
                let stored: StoredChange =
                    serde_json::from_slice(bytes.value()).map_err(storage)?;
                out.push(Change {
                    kind: match stored.kind.as_str() {
                        "INSERT" => ChangeKind::Insert,
                        "MODIFY" => ChangeKind::Modify,
                        _ => ChangeKind::Remove,
                    },
                    key: Key::new(stored.pk, stored.sk),
                    old: stored.old,
                    new: stored.new,
                    sequence: format!("{:020}", sequence.value()),
                });
            }
            Ok(out)
        })
        .await
        .map_err(storage)?
    }

    async fn acknowledge(&self, through: &Change) -> Result<(), TableError> {
        let sequence: u64 = through
            .sequence
            .parse()
            .map_err(|_| TableError::Invalid("not a sequence of this stream".into()))?;
        let db = self.db.clone();
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_write().map_err(storage)?;
            {
                let mut checkpoints = txn.open_table(CHECKPOINTS).map_err(storage)?;
                checkpoints
                    .insert(reader.as_str(), sequence)
                    .map_err(storage)?;
                // Changes every reader has passed are no longer needed. One reader per
                // table is the local runtime's case; with more, keep the slowest's.
                let slowest = checkpoints
                    .iter()
                    .map_err(storage)?
                    .filter_map(|e| e.ok().map(|(_, v)| v.value()))
                    .min()
                    .unwrap_or(0);
                let mut changes = txn.open_table(CHANGES).map_err(storage)?;
                changes
                    .retain_in(..slowest, |_, _| false)
                    .map_err(storage)?;
            }
            txn.commit().map_err(storage)
        })
        .await
        .map_err(storage)?
    }
}
