//! The audit entry a staff change carries into its own transaction. It lives below the
//! domain (a write and nothing more) so that every capability can take one without
//! depending on the audit trail, which depends on identity.

use crate::ports::table::Write;

/// The audit entry of a staff change, carried into the change's own transaction so that
/// the change and its entry are written together or not at all. Changes nobody made in a
/// session (demo data, the operator tool) carry none.
#[derive(Debug, Clone, Default)]
pub struct Stamp(Option<Write>);

impl Stamp {
    pub fn none() -> Self {
        Stamp(None)
    }

    pub fn of(write: Write) -> Self {
        Stamp(Some(write))
    }

    /// The entry's write, for the change's transaction (cloned: a retried transaction
    /// writes it again).
    pub fn writes(&self) -> Vec<Write> {
        self.0.iter().cloned().collect()
    }
}
