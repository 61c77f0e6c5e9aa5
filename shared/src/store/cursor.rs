//! Opaque page cursors. A cursor is the table's position, signed with an HMAC over the
//! scope it was issued for (for example one tenant's account list), so a client can
//! neither forge one nor carry one into another tenant's or another list's partition.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ports::table::Cursor;

#[derive(Clone)]
pub struct CursorCodec {
    key: Arc<[u8]>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this list issued")]
pub struct InvalidCursor;

impl CursorCodec {
    pub fn new(key: &[u8]) -> Self {
        CursorCodec {
            key: Arc::from(key),
        }
    }

    fn mac(&self, scope: &str, payload: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(scope.as_bytes());
        mac.update(b"\n");
        mac.update(payload.as_bytes());
        mac
    }

    pub fn encode(&self, scope: &str, cursor: &Cursor) -> String {
        let json = serde_json::to_vec(cursor).unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let tag = URL_SAFE_NO_PAD.encode(self.mac(scope, &payload).finalize().into_bytes());
        format!("{payload}.{tag}")
    }

    pub fn decode(&self, scope: &str, text: &str) -> Result<Cursor, InvalidCursor> {
        let (payload, tag) = text.split_once('.').ok_or(InvalidCursor)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| InvalidCursor)?;
        self.mac(scope, payload)
            .verify_slice(&tag)
            .map_err(|_| InvalidCursor)?;
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| InvalidCursor)?;
        serde_json::from_slice(&json).map_err(|_| InvalidCursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> Cursor {
        Cursor([("pk".to_owned(), "TENANT#A#ACCOUNTS".to_owned())].into())
    }

    #[test]
    fn a_cursor_decodes_in_its_own_scope_only() {
        let codec = CursorCodec::new(b"secret");
        let text = codec.encode("accounts:A", &cursor());
        assert_eq!(codec.decode("accounts:A", &text), Ok(cursor()));
        assert_eq!(codec.decode("accounts:B", &text), Err(InvalidCursor));
    }

    #[test]
    fn a_forged_or_altered_cursor_is_refused() {
        let codec = CursorCodec::new(b"secret");
        let text = codec.encode("accounts:A", &cursor());
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"pk":"TENANT#B#ACCOUNTS"}"#);
        let (_, tag) = text.split_once('.').unwrap();
        assert_eq!(
            codec.decode("accounts:A", &format!("{forged_payload}.{tag}")),
            Err(InvalidCursor)
        );
        assert_eq!(
            CursorCodec::new(b"other").decode("accounts:A", &text),
            Err(InvalidCursor)
        );
        for junk in ["", ".", "abc", "a.b.c", "%%%.%%%"] {
            assert_eq!(
                codec.decode("accounts:A", junk),
                Err(InvalidCursor),
                "{junk}"
            );
        }
    }
}
