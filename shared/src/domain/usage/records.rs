//! Reading rated records out of their blocks ([`super::blocks`]): a service's month a page
//! at a time, newest first, for the views; or whole, oldest first, for exports and an
//! invoice's itemised usage.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

use super::blocks::{Block, BlockRows, Place, place};
use super::{Period, UsageError, UsageRecord};
use crate::domain::catalogue::UsageType;
use crate::domain::paging::{Page, PageRequest, PagingError};
use crate::ids::{ServiceId, TenantId};
use crate::ports::blobs::Blobs;
use crate::ports::table::{Cursor, Table};
use crate::store::{self, CursorCodec};

#[derive(Clone)]
pub struct UsageRecords {
    table: Arc<dyn Table>,
    blobs: Arc<dyn Blobs>,
    cursors: CursorCodec,
}

impl UsageRecords {
    pub fn new(table: Arc<dyn Table>, blobs: Arc<dyn Blobs>, cursors: CursorCodec) -> Self {
        UsageRecords {
            table,
            blobs,
            cursors,
        }
    }

    /// A service's records of a month, newest first, optionally of one type. A page reads
    /// the blocks that can hold its records: newest blocks first, stopping once no block
    /// left can hold a record newer than the page's last (files of a day each: a block or
    /// two a page).
    pub async fn page(
        &self,
        tenant: &TenantId,
        service: &ServiceId,
        period: Period,
        usage: Option<UsageType>,
        page: &PageRequest,
    ) -> Result<Page<UsageRecord>, UsageError> {
        let limit = page.limit().map_err(PagingError::InvalidLimit)?;
        let scope = match usage {
            None => format!("usage:{tenant}:{service}:{period}"),
            Some(usage) => format!("usage:{tenant}:{service}:{period}:{}", usage.name()),
        };
        let before: Option<Place> = match &page.cursor {
            None => None,
            Some(text) => {
                let cursor = self
                    .cursors
                    .decode(&scope, text)
                    .map_err(|_| PagingError::InvalidCursor)?;
                let at = cursor.0.get("at").and_then(|t| store::parse_rfc3339(t));
                let id = cursor.0.get("id");
                match (at, id) {
                    (Some(at), Some(id)) => Some((at, id.clone())),
                    _ => return Err(PagingError::InvalidCursor.into()),
                }
            }
        };
        let older = |p: &Place| before.as_ref().is_none_or(|b| p < b);
        let mut blocks: Vec<Block> = Block::shown_of(self.table.as_ref(), tenant, service, period)
            .await?
            .into_iter()
            .filter(|b| b.holds(usage) && older(&b.first))
            .collect();
        blocks.sort_by(|a, b| b.last.cmp(&a.last));
        let mut found: Vec<UsageRecord> = Vec::new();
        for block in &blocks {
            // Enough found, and every block left ends before the oldest kept: done.
            if found.len() > limit && found.get(limit).is_some_and(|r| block.last < place(r)) {
                break;
            }
            for record in block.rows(self.blobs.as_ref()).await? {
                let record = record?;
                if usage.is_none_or(|u| u == record.usage) && older(&place(&record)) {
                    found.push(record);
                }
            }
            found.sort_unstable_by(|a, b| {
                (b.started_at, &b.record_id).cmp(&(a.started_at, &a.record_id))
            });
            found.truncate(limit + 1);
        }
        let next = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|last| {
                let cursor = Cursor(BTreeMap::from([
                    ("at".to_owned(), store::rfc3339(last.started_at)),
                    ("id".to_owned(), last.record_id.clone()),
                ]));
                self.cursors.encode(&scope, &cursor)
            })
        } else {
            None
        };
        Ok(Page {
            items: found,
            next_cursor: next,
        })
    }

    /// Every record of a service's month, oldest first, read as it is merged out of its
    /// blocks (each block's compressed rows are held, not its records).
    pub async fn month(
        &self,
        tenant: &TenantId,
        service: &ServiceId,
        period: Period,
    ) -> Result<MonthRecords, UsageError> {
        let blocks = Block::shown_of(self.table.as_ref(), tenant, service, period).await?;
        let mut sources = Vec::with_capacity(blocks.len());
        for block in &blocks {
            sources.push(block.rows(self.blobs.as_ref()).await?);
        }
        MonthRecords::merge(sources)
    }
}

/// A month's records merged out of its blocks, oldest first.
pub struct MonthRecords {
    sources: Vec<BlockRows>,
    heads: BinaryHeap<Reverse<(Place, usize)>>,
    waiting: Vec<Option<UsageRecord>>,
}

impl MonthRecords {
    fn merge(mut sources: Vec<BlockRows>) -> Result<Self, UsageError> {
        let mut heads = BinaryHeap::with_capacity(sources.len());
        let mut waiting = Vec::with_capacity(sources.len());
        for (i, source) in sources.iter_mut().enumerate() {
            let head = source.next().transpose()?;
            if let Some(record) = &head {
                heads.push(Reverse((place(record), i)));
            }
            waiting.push(head);
        }
        Ok(MonthRecords {
            sources,
            heads,
            waiting,
        })
    }
}

impl Iterator for MonthRecords {
    type Item = Result<UsageRecord, UsageError>;

    fn next(&mut self) -> Option<Self::Item> {
        let Reverse((_, i)) = self.heads.pop()?;
        let record = self.waiting[i].take()?;
        match self.sources[i].next() {
            None => {}
            Some(Err(e)) => return Some(Err(e)),
            Some(Ok(following)) => {
                self.heads.push(Reverse((place(&following), i)));
                self.waiting[i] = Some(following);
            }
        }
        Some(Ok(record))
    }
}
