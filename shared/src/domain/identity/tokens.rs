//! Secrets handed to people (session tokens, one-time links): 256 random bits, shown once,
//! stored only as a SHA-256 hash, so a copy of the table lets nobody in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new secret, URL-safe text, and the hash to store.
pub fn generate() -> (String, String) {
    let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let hashed = hash(&secret);
    (secret, hashed)
}

/// The stored form of a secret. Anything can be hashed: a malformed secret finds nothing.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two hashes in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    // Lengths are public (every stored hash has the same one); the bytes are not.
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
