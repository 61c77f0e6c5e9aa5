//! Paging: a limit and an opaque cursor in, a page and the next cursor out.

pub const DEFAULT_LIMIT: usize = 25;
pub const MAX_LIMIT: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    /// 1 to 100; defaults to 25.
    pub limit: Option<usize>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageRequest {
    pub fn first(limit: usize) -> Self {
        PageRequest {
            limit: Some(limit),
            cursor: None,
        }
    }
    pub fn after(limit: usize, cursor: Option<String>) -> Self {
        PageRequest {
            limit: Some(limit),
            cursor,
        }
    }
    /// The limit to use, or why the one given is refused.
    pub fn limit(&self) -> Result<usize, String> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(format!("limit must be from 1 to {MAX_LIMIT}")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Present when more items may follow.
    pub next_cursor: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PagingError {
    #[error("{0}")]
    InvalidLimit(String),
    #[error("the cursor is not one this list issued")]
    InvalidCursor,
    #[error(transparent)]
    Storage(#[from] crate::ports::TableError),
}

/// One page of `query`, its cursor signed for `scope` (the list and partition it belongs
/// to), so a cursor from another list or tenant is refused.
pub async fn fetch<T>(
    table: &dyn crate::ports::Table,
    cursors: &crate::store::CursorCodec,
    scope: &str,
    query: crate::ports::Query,
    request: &PageRequest,
    read: fn(&crate::ports::Item) -> Result<T, crate::ports::TableError>,
) -> Result<Page<T>, PagingError> {
    let limit = request.limit().map_err(PagingError::InvalidLimit)?;
    let after = request
        .cursor
        .as_deref()
        .map(|c| cursors.decode(scope, c))
        .transpose()
        .map_err(|_| PagingError::InvalidCursor)?;
    let result = table.query(query.limit(limit).after(after)).await?;
    Ok(Page {
        items: result.items.iter().map(read).collect::<Result<_, _>>()?,
        next_cursor: result.next.map(|c| cursors.encode(scope, &c)),
    })
}

/// How many reads one filtered page may take before it answers short, with a cursor.
pub const FILTERED_READS: usize = 20;

/// Like [`fetch`], keeping only the items `keep` accepts (a filter no index serves): reads
/// on until the page is full, the partition ends or [`FILTERED_READS`] queries were made. A page can
/// then be short, even empty, with a cursor to go on from, as DynamoDB's own filters do.
pub async fn fetch_where<T>(
    table: &dyn crate::ports::Table,
    cursors: &crate::store::CursorCodec,
    scope: &str,
    query: crate::ports::Query,
    request: &PageRequest,
    read: fn(&crate::ports::Item) -> Result<T, crate::ports::TableError>,
    keep: impl Fn(&T) -> bool,
) -> Result<Page<T>, PagingError> {
    let limit = request.limit().map_err(PagingError::InvalidLimit)?;
    let mut after = request
        .cursor
        .as_deref()
        .map(|c| cursors.decode(scope, c))
        .transpose()
        .map_err(|_| PagingError::InvalidCursor)?;
    let mut items = Vec::new();
    for _ in 0..FILTERED_READS {
        // Asking only for what the page still lacks keeps the cursor exact: every item
        // before it was seen, and none after it.
        let result = table
            .query(query.clone().limit(limit - items.len()).after(after))
            .await?;
        for item in &result.items {
            let value = read(item)?;
            if keep(&value) {
                items.push(value);
            }
        }
        after = result.next;
        if after.is_none() || items.len() == limit {
            break;
        }
    }
    Ok(Page {
        items,
        next_cursor: after.map(|c| cursors.encode(scope, &c)),
    })
}
