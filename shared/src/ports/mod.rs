//! The small traits the domain needs from the outside world. Adapters implement them.

pub mod blobs;
pub mod clock;
pub mod counting;
pub mod mailer;
pub mod payments;
pub mod table;

pub use blobs::{BlobError, BlobInfo, BlobKey, Blobs, ByteStream, Download, Listing};
pub use clock::{Clock, ManualClock, SystemClock};
pub use mailer::{MailError, Mailer, OutgoingMail};
pub use table::{
    Change, ChangeFeed, ChangeKind, Condition, Cursor, Index, Item, Key, Page, Query, SortKey,
    Table, TableError, Update, Value, Write,
};
