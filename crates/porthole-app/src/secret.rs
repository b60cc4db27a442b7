//! Secrets (API keys, later session ids and link tokens): at least 128 bits
//! from the operating system's CSPRNG, handed out once, stored only as their
//! SHA-256 digest and looked up by that digest.

use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// A freshly minted secret. Its text is shown to the caller once; only
/// [`SecretDigest`] is ever stored.
pub struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// 256 random bits, prefixed so leaked keys are recognisable in logs
    /// and by secret scanners.
    pub fn generate(prefix: &str) -> Result<Self, rand::rand_core::OsError> {
        let mut bytes = [0u8; 32];
        OsRng.try_fill_bytes(&mut bytes)?;
        Ok(Self(format!("{prefix}{}", hex::encode(bytes))))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> SecretDigest {
        SecretDigest::of(&self.0)
    }
}

/// The SHA-256 of a secret, hex-encoded. What the database holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretDigest(String);

impl SecretDigest {
    pub fn of(presented: &str) -> Self {
        Self(hex::encode(Sha256::digest(presented.as_bytes())))
    }

    pub fn from_stored(hex: String) -> Self {
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_long_and_stored_by_digest_only() {
        let a = Secret::generate("ph_").expect("os rng");
        let b = Secret::generate("ph_").expect("os rng");
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().len() >= 3 + 64);
        assert_eq!(a.digest(), SecretDigest::of(a.expose()));
        assert_ne!(a.digest().as_str(), a.expose());
        assert_eq!(a.digest().as_str().len(), 64);
        assert_eq!(format!("{a:?}"), "Secret(<redacted>)");
    }
}
