//! Secrets (API keys, later session ids and link tokens): at least 128 bits
//! from the operating system's CSPRNG, handed out once, stored only as their
//! SHA-256 digest and looked up by that digest.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::rngs::OsRng;
use rand::{Rng as _, TryRngCore};
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

    /// 256 random bits as unpadded base64url: a token that travels in a URL
    /// path (share links).
    pub fn generate_url_token() -> Result<Self, rand::rand_core::OsError> {
        let mut bytes = [0u8; 32];
        OsRng.try_fill_bytes(&mut bytes)?;
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A six-digit code a person types, uniformly from 000000 to 999999.
    /// Its strength comes from its short life and few allowed attempts, not
    /// from its length.
    pub fn six_digit_code() -> Self {
        let code: u32 = rand::rng().random_range(0..1_000_000);
        Self(format!("{code:06}"))
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

    #[test]
    fn url_tokens_are_base64url_with_256_bits() {
        let token = Secret::generate_url_token().expect("os rng");
        assert_eq!(token.expose().len(), 43);
        assert!(token.expose().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_ne!(token.expose(), Secret::generate_url_token().expect("os rng").expose());
    }

    #[test]
    fn codes_are_six_digits() {
        for _ in 0..100 {
            let code = Secret::six_digit_code();
            assert_eq!(code.expose().len(), 6);
            assert!(code.expose().chars().all(|c| c.is_ascii_digit()));
        }
    }
}
