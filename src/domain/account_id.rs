//! An account's public ID (DESIGN "Account ID"): what a person copies from
//! their profile so a manager can add them. "acct_" and 16 characters of
//! Crockford's base32; the database makes one for every account (migration
//! 000016). Typed input is forgiving the way Crockford's alphabet means it to
//! be: any case, the prefix optional, O read as 0 and I or L as 1, dashes and
//! spaces ignored.

use super::Invalid;

pub const PREFIX: &str = "acct_";
const LEN: usize = 16;
const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Longer input is not read at all.
const MAX_INPUT: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicAccountId(String);

fn malformed() -> Invalid {
    Invalid::new(
        "An account ID looks like acct_7K3M9QZ2XW4HB8RT: “acct_” and 16 letters and digits. Ask the person to copy it from their profile page.",
    )
}

impl PublicAccountId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Invalid::new(
                "Enter the account ID from the person's profile page.",
            ));
        }
        if trimmed.len() > MAX_INPUT {
            return Err(malformed());
        }
        let body = match trimmed.get(..PREFIX.len()) {
            Some(head) if head.eq_ignore_ascii_case(PREFIX) => &trimmed[PREFIX.len()..],
            _ => trimmed,
        };
        let mut out = String::with_capacity(PREFIX.len() + LEN);
        out.push_str(PREFIX);
        for c in body.chars().filter(|c| *c != '-' && *c != ' ') {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !ALPHABET.contains(c) {
                return Err(malformed());
            }
            out.push(c);
        }
        if out.len() != PREFIX.len() + LEN {
            return Err(malformed());
        }
        Ok(Self(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_read_as_crockford_means_it() {
        let id = PublicAccountId::parse("acct_7K3M9QZ2XW4HB8RT").unwrap();
        assert_eq!(id.as_str(), "acct_7K3M9QZ2XW4HB8RT");
        for same in [
            " ACCT_7k3m9qz2xw4hb8rt ",
            "7K3M9QZ2XW4HB8RT",
            "acct_7K3M-9QZ2-XW4H-B8RT",
        ] {
            assert_eq!(PublicAccountId::parse(same).unwrap(), id, "{same:?}");
        }
        assert_eq!(
            PublicAccountId::parse("acct_O0IL000000000000")
                .unwrap()
                .as_str(),
            "acct_0011000000000000"
        );
    }

    #[test]
    fn malformed_ids_are_refused_with_what_one_looks_like() {
        assert!(PublicAccountId::parse("  ")
            .unwrap_err()
            .0
            .contains("Enter"));
        for bad in [
            "acct_7K3M9QZ2XW4HB8R",
            "acct_7K3M9QZ2XW4HB8RTX",
            "acct_7K3M9QZ2XW4HB8RU",
            "acct_7K3M9QZ2XW4HB8R\u{0}",
            "acct_7K3M9QZ2XW4HB8R😀",
            "ada@example.com",
            "42",
            &"A".repeat(10_000),
        ] {
            let err = PublicAccountId::parse(bad).unwrap_err();
            assert!(err.0.contains("looks like"), "{bad:?}");
        }
    }
}
