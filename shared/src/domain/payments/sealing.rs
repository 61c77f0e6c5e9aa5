//! Secrets kept at rest (a provider's gateway keys): sealed with AES-256-GCM under the
//! deployment's sealing key, so a copy of the table alone reveals none of them.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a sealed secret could not be opened (another key, or changed)")]
pub struct Unsealable;

impl Sealer {
    /// From the deployment's secret (at least 32 random characters): the cipher key is its
    /// SHA-256 under a label of this use, so the same secret signs cursors unrelatedly.
    pub fn new(secret: &[u8]) -> Self {
        let mut hash = Sha256::new();
        hash.update(b"selfcare sealing key v1\0");
        hash.update(secret);
        let key = hash.finalize();
        Sealer {
            cipher: Aes256Gcm::new_from_slice(&key).unwrap_or_else(|_| unreachable!()),
        }
    }

    /// A random nonce, then the ciphertext and its tag, in hex.
    pub fn seal(&self, plain: &str) -> String {
        let nonce: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .unwrap_or_else(|_| unreachable!("AES-GCM encrypts any length we store"));
        let mut out = nonce.to_vec();
        out.extend(sealed);
        hex::encode(out)
    }

    pub fn open(&self, sealed: &str) -> Result<String, Unsealable> {
        let bytes = hex::decode(sealed).map_err(|_| Unsealable)?;
        if bytes.len() < 12 + 16 {
            return Err(Unsealable);
        }
        let (nonce, body) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| Unsealable)?;
        String::from_utf8(plain).map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_sealed_opens_only_under_its_own_key() {
        let a = Sealer::new(b"0123456789abcdef0123456789abcdef");
        let b = Sealer::new(b"fedcba9876543210fedcba9876543210");
        let sealed = a.seal("sk_test_123");
        assert!(!sealed.contains("sk_test"));
        assert_eq!(a.open(&sealed).unwrap(), "sk_test_123");
        assert!(b.open(&sealed).is_err());
        // Two seals of one secret differ (a nonce each).
        assert_ne!(a.seal("sk_test_123"), sealed);
        let mut changed = sealed.clone();
        changed.replace_range(30..31, if &sealed[30..31] == "0" { "1" } else { "0" });
        assert!(a.open(&changed).is_err());
    }
}
