//! Opaque page cursors. A cursor is the table's position, encrypted and authenticated
//! (AES-256-GCM) with the scope it was issued for (for example one tenant's account list)
//! as associated data, so a client can neither forge one, nor carry one into another
//! tenant's or another list's partition, nor read the position it holds: a filtered list
//! (a search, a trail narrowed to one staff member) can stop on an item the reader may not
//! see, and its cursor must not name it.

use std::sync::Arc;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::ports::table::Cursor;

#[derive(Clone)]
pub struct CursorCodec {
    cipher: Arc<Aes256Gcm>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this list issued")]
pub struct InvalidCursor;

const NONCE: usize = 12;

impl CursorCodec {
    /// From the deployment's cursor secret: the cipher key is its SHA-256 under a label of
    /// this use.
    pub fn new(key: &[u8]) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"selfcare cursor key v2\0");
        hash.update(key);
        let key = hash.finalize();
        CursorCodec {
            cipher: Arc::new(Aes256Gcm::new_from_slice(&key).unwrap_or_else(|_| unreachable!())),
        }
    }

    pub fn encode(&self, scope: &str, cursor: &Cursor) -> String {
        let json = serde_json::to_vec(cursor).unwrap_or_default();
        let nonce: [u8; NONCE] = rand::random();
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &json,
                    aad: scope.as_bytes(),
                },
            )
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn decode(&self, scope: &str, text: &str) -> Result<Cursor, InvalidCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| InvalidCursor)?;
        if bytes.len() <= NONCE {
            return Err(InvalidCursor);
        }
        let (nonce, sealed) = bytes.split_at(NONCE);
        let json = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: scope.as_bytes(),
                },
            )
            .map_err(|_| InvalidCursor)?;
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
    fn a_cursor_does_not_show_the_position_it_holds() {
        let codec = CursorCodec::new(b"secret");
        let text = codec.encode("accounts:A", &cursor());
        let bytes = URL_SAFE_NO_PAD.decode(&text).unwrap();
        let shown = String::from_utf8_lossy(&bytes);
        assert!(!shown.contains("TENANT"), "{shown}");
        assert!(
            !text.contains("VEVOQU5U"),
            "no base64 of the key either: {text}"
        );
    }

    #[test]
    fn a_forged_or_altered_cursor_is_refused() {
        let codec = CursorCodec::new(b"secret");
        let text = codec.encode("accounts:A", &cursor());
        let mut bytes = URL_SAFE_NO_PAD.decode(&text).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            codec.decode("accounts:A", &URL_SAFE_NO_PAD.encode(&bytes)),
            Err(InvalidCursor)
        );
        let forged = URL_SAFE_NO_PAD.encode(br#"000000000000{"pk":"TENANT#B#ACCOUNTS"}"#);
        assert_eq!(codec.decode("accounts:A", &forged), Err(InvalidCursor));
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
