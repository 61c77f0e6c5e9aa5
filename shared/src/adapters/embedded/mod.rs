//! Adapters that keep everything on local disk, so the whole product runs on one machine.

pub mod blobs;
pub mod mailer;
pub mod table;

pub use blobs::EmbeddedBlobs;
pub use mailer::{LocalOutbox, OutboxEntry};
pub use table::{EmbeddedChangeFeed, EmbeddedTable};
