//! API tokens at the edge: the secret's shape (`roster_pat_` + 43 random base62
//! characters + a 6-character checksum, so a leaked token is recognisable and a
//! mistyped one is refused without a database read), its hash, a token's name
//! and its expiry.

use chrono::{DateTime, Duration, Utc};
use rand::distributions::{Alphanumeric, DistString};
use sha2::{Digest, Sha256};

use super::{names::clean_text, Invalid};

pub const PREFIX: &str = "roster_pat_";
/// 43 base62 characters carry 256 bits.
const RANDOM_CHARS: usize = 43;
const CHECKSUM_CHARS: usize = 6;
pub const SECRET_LEN: usize = PREFIX.len() + RANDOM_CHARS + CHECKSUM_CHARS;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The first four bytes of the random part's SHA-256, in six base62 characters.
fn checksum(random: &str) -> String {
    let digest = Sha256::digest(random.as_bytes());
    let mut n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) as u64;
    let mut out = [b'0'; CHECKSUM_CHARS];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A token's secret, as presented in `Authorization: Bearer …`. Never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(String);

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSecret(…)")
    }
}

impl TokenSecret {
    pub fn generate() -> Self {
        let random = Alphanumeric.sample_string(&mut rand::rngs::OsRng, RANDOM_CHARS);
        let sum = checksum(&random);
        Self(format!("{PREFIX}{random}{sum}"))
    }

    /// A presented secret of the right shape and checksum; anything else is `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix(PREFIX)?;
        if raw.len() != SECRET_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let (random, sum) = rest.split_at(RANDOM_CHARS);
        (checksum(random) == sum).then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps and looks tokens up by.
    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

/// A token's name: 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenName(String);

impl TokenName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        clean_text(raw, "Name", 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const DEFAULT_EXPIRY_DAYS: i64 = 90;
pub const MAX_EXPIRY_DAYS: i64 = 365;

/// How long a token lives: some days (1 to 365), or for ever (an Owner's
/// explicit choice, which the policy checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Days(i64),
    Never,
}

impl Expiry {
    pub fn days(n: i64) -> Result<Self, Invalid> {
        if (1..=MAX_EXPIRY_DAYS).contains(&n) {
            Ok(Self::Days(n))
        } else {
            Err(Invalid::new(format!(
                "Expiry must be between 1 and {MAX_EXPIRY_DAYS} days."
            )))
        }
    }

    /// A form's expiry field: empty means the default.
    pub fn parse(raw: &str, never: bool) -> Result<Self, Invalid> {
        if never {
            return Ok(Self::Never);
        }
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self::Days(DEFAULT_EXPIRY_DAYS));
        }
        let n = raw
            .parse::<i64>()
            .map_err(|_| Invalid::new("Expiry must be a whole number of days."))?;
        Self::days(n)
    }

    pub fn expires_at(self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Days(n) => Some(now + Duration::days(n)),
            Self::Never => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_secret_parses_and_one_changed_character_does_not() {
        let secret = TokenSecret::generate();
        let raw = secret.expose().to_owned();
        assert!(raw.starts_with("roster_pat_"));
        assert_eq!(raw.len(), SECRET_LEN);
        assert_eq!(TokenSecret::parse(&raw), Some(secret.clone()));
        let mut rejected = 0;
        for i in PREFIX.len()..raw.len() {
            let mut bytes = raw.clone().into_bytes();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let changed = String::from_utf8(bytes).unwrap();
            if TokenSecret::parse(&changed).is_none() {
                rejected += 1;
            }
        }
        // The checksum catches (nearly) every single-character change.
        assert!(rejected >= raw.len() - PREFIX.len() - 1, "{rejected}");
        assert_eq!(TokenSecret::parse(""), None);
        assert_eq!(TokenSecret::parse(&raw[..raw.len() - 1]), None);
        assert_eq!(TokenSecret::parse(&format!("{raw}x")), None);
        assert_eq!(
            TokenSecret::parse(&raw.replace("roster_pat_", "roster_pak_")),
            None
        );
        assert_ne!(TokenSecret::generate(), secret);
        assert_eq!(secret.hash().len(), 32);
        assert!(!format!("{secret:?}").contains(&raw[PREFIX.len()..]));
    }

    #[test]
    fn expiry_defaults_to_ninety_days_and_stays_within_a_year() {
        assert_eq!(Expiry::parse("", false), Ok(Expiry::Days(90)));
        assert_eq!(Expiry::parse("365", false), Ok(Expiry::Days(365)));
        assert_eq!(Expiry::parse("30", true), Ok(Expiry::Never));
        for bad in ["0", "366", "-1", "ten", "1.5"] {
            assert!(Expiry::parse(bad, false).is_err(), "{bad}");
        }
        let now = Utc::now();
        assert_eq!(Expiry::Never.expires_at(now), None);
        assert_eq!(
            Expiry::Days(1).expires_at(now),
            Some(now + Duration::days(1))
        );
    }
}
