//! Rate limits on signing in, inviting, resending, redeeming invitations and
//! requesting password resets: named buckets per organization, account, client
//! address, link or email address, counted in a table every instance shares.
//! Fixed windows: one hour, or fifteen minutes for sign-in attempts.
//!
//! A handler (or service) calls [`hit`] with the buckets of its action before
//! doing it; a refusal is `AppError::TooMany` (429 with `Retry-After`) and
//! counts nothing, so a refused request uses up no allowance.

use chrono::Utc;
use diesel::{Connection, PgConnection};

use crate::config::RateLimits;
use crate::db::rate_limits as q;
use crate::domain::{AccountId, ApiTokenId, OrgId};
use crate::error::{AppError, AppResult};

pub const WINDOW_SECS: i64 = 3600;

/// One counter: its key, how many hits it allows per window, and how a refusal reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    key: String,
    limit: u32,
    window_secs: i64,
    /// e.g. "invitations for this organization"
    what: String,
}

impl Bucket {
    fn new(action: &str, what: &str, scope: Scope<'_>, limit: u32) -> Self {
        let (id, whose) = match scope {
            Scope::Org(org) => (format!("org:{org}"), "for this organization"),
            Scope::Account(account) => (format!("account:{account}"), "from your account"),
            Scope::Ip(ip) => (format!("ip:{ip}"), "from your network address"),
            Scope::Link(hash) => (
                format!("link:{}", hex::encode(&hash[..16])),
                "for this link",
            ),
            Scope::Email(email) => (
                format!("email:{}", email.trim().to_lowercase()),
                "for this email address",
            ),
        };
        Self {
            key: format!("{action}:{id}"),
            limit,
            window_secs: WINDOW_SECS,
            what: format!("{what} {whose}"),
        }
    }
}

/// Sign-in attempts are counted over fifteen minutes.
pub const SIGNIN_WINDOW_SECS: i64 = 15 * 60;
/// Wrong passwords for one email from one client address per window: the
/// budget a guesser gets, and the only one that a stranger elsewhere cannot
/// spend for the account's owner.
pub const SIGNINS_PER_EMAIL_FROM_IP: u32 = 5;
/// Wrong passwords from one client address per window, whatever the emails.
pub const SIGNINS_PER_IP: u32 = 20;
/// Wrong passwords for one email from anywhere, per hour: slower, so that
/// guessing from many addresses stays slow without one address locking the
/// owner out.
pub const SIGNINS_PER_EMAIL: u32 = 50;

fn email_key(email: &str) -> String {
    format!("signin:email:{}", email.trim().to_lowercase())
}

fn email_from_prefix(email: &str) -> String {
    format!("{}|from:", email_key(email))
}

fn email_from_key(email: &str, ip: &str) -> String {
    format!("{}{ip}", email_from_prefix(email))
}

fn ip_key(ip: &str) -> String {
    format!("signin:ip:{ip}")
}

/// Signing in, or checking one's current password: reserved before the
/// password is checked, given back when it was right ([`signin_was_right`]).
pub fn signins(email: &str, ip: &str) -> Vec<Bucket> {
    let what = "failed sign-in attempts";
    let bucket = |key: String, limit, window_secs, what: &str| Bucket {
        key,
        limit,
        window_secs,
        what: what.to_owned(),
    };
    vec![
        bucket(
            email_from_key(email, ip),
            SIGNINS_PER_EMAIL_FROM_IP,
            SIGNIN_WINDOW_SECS,
            what,
        ),
        bucket(
            ip_key(ip),
            SIGNINS_PER_IP,
            SIGNIN_WINDOW_SECS,
            &format!("{what} from your network address"),
        ),
        bucket(email_key(email), SIGNINS_PER_EMAIL, WINDOW_SECS, what),
    ]
}

/// A reserved attempt had the right password: the (email, address) count
/// starts over and the other two get their hit back.
pub fn signin_was_right(conn: &mut PgConnection, email: &str, ip: &str) -> AppResult<()> {
    conn.transaction(|conn| {
        q::clear(conn, &email_from_key(email, ip), None)?;
        q::refund(conn, &ip_key(ip), 1)?;
        q::refund(conn, &email_key(email), 1)?;
        Ok(())
    })
}

/// The mailbox's owner proved themselves (a password reset): every sign-in
/// count for the email, from every address, is forgotten.
pub fn forget_signins(conn: &mut PgConnection, email: &str) -> AppResult<()> {
    q::clear(conn, &email_key(email), Some(&email_from_prefix(email)))?;
    Ok(())
}

enum Scope<'a> {
    Org(OrgId),
    Account(AccountId),
    Ip(&'a str),
    /// A link's token hash: keys never hold the token itself.
    Link(&'a [u8]),
    Email(&'a str),
}

/// Inviting, counted in addresses.
pub fn invites(l: &RateLimits, org: OrgId, account: AccountId, ip: &str) -> Vec<Bucket> {
    invite_buckets("invite", "invitations", l, org, account, ip)
}

/// Previewing a list to invite, counted in addresses looked up, under the same
/// limits as inviting but counted apart, so that previewing and then inviting a
/// list does not count it twice.
pub fn invite_previews(l: &RateLimits, org: OrgId, account: AccountId, ip: &str) -> Vec<Bucket> {
    invite_buckets("invite_preview", "addresses previewed", l, org, account, ip)
}

fn invite_buckets(
    action: &str,
    what: &str,
    l: &RateLimits,
    org: OrgId,
    account: AccountId,
    ip: &str,
) -> Vec<Bucket> {
    vec![
        Bucket::new(action, what, Scope::Org(org), l.invites_per_org),
        Bucket::new(action, what, Scope::Account(account), l.invites_per_account),
        Bucket::new(action, what, Scope::Ip(ip), l.invites_per_ip),
    ]
}

/// Sending an invitation again, or a fresh copy of its link.
pub fn resends(l: &RateLimits, org: OrgId, account: AccountId, ip: &str) -> Vec<Bucket> {
    let what = "invitations sent again";
    vec![
        Bucket::new("resend", what, Scope::Org(org), l.resends_per_org),
        Bucket::new(
            "resend",
            what,
            Scope::Account(account),
            l.resends_per_account,
        ),
        Bucket::new("resend", what, Scope::Ip(ip), l.resends_per_ip),
    ]
}

/// Accepting an invitation: there is no account yet, so per address and per link.
pub fn redeems(l: &RateLimits, ip: &str, token_hash: &[u8]) -> Vec<Bucket> {
    let what = "attempts to accept an invitation";
    vec![
        Bucket::new("redeem", what, Scope::Ip(ip), l.redeems_per_ip),
        Bucket::new("redeem", what, Scope::Link(token_hash), l.redeems_per_token),
    ]
}

/// Asking for a password reset link.
pub fn resets(l: &RateLimits, email: &str, ip: &str) -> Vec<Bucket> {
    let what = "password reset requests";
    vec![
        Bucket::new("reset", what, Scope::Email(email), l.resets_per_email),
        Bucket::new("reset", what, Scope::Ip(ip), l.resets_per_ip),
    ]
}

/// A JSON API request, per token, over one minute: a script that loops too
/// fast is slowed down without locking anyone out for an hour.
pub fn api_requests(l: &RateLimits, token: ApiTokenId) -> Bucket {
    Bucket {
        key: format!("api:token:{token}"),
        limit: l.api_per_token_per_minute,
        window_secs: 60,
        what: "API requests with this token".into(),
    }
}

/// Hits of busy buckets reserved from the shared table a few at a time and
/// spent in memory, so a script calling the API hundreds of times a second
/// writes one row every few dozen requests rather than on each of them.
///
/// Every hit spent was counted in the table within its window first, so no
/// number of instances lets a token past its limit; what an instance reserved
/// and did not spend before the window ended is lost, which can only refuse a
/// little early (by at most one reservation per instance and window).
#[derive(Debug, Default)]
pub struct Leases {
    held: std::sync::Mutex<std::collections::HashMap<String, Lease>>,
}

#[derive(Debug, Clone, Copy)]
struct Lease {
    left: i32,
    /// The end of the window the hits were counted in.
    until: chrono::DateTime<Utc>,
}

impl Leases {
    /// How many hits one reservation takes: a fiftieth of the limit, between 1 and 100.
    fn chunk(limit: i32) -> i32 {
        (limit / 50).clamp(1, 100)
    }

    /// Spends one hit of a reservation still in its window.
    fn spend(&self, key: &str, now: chrono::DateTime<Utc>) -> bool {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match held.get_mut(key) {
            Some(lease) if lease.until > now && lease.left > 0 => {
                lease.left -= 1;
                true
            }
            _ => false,
        }
    }

    /// Keeps what is left of a new reservation (added to one made meanwhile
    /// by a concurrent request for the same window).
    fn keep(&self, key: &str, lease: Lease) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match held.get_mut(key) {
            Some(old) if old.until == lease.until => old.left += lease.left,
            _ => {
                held.insert(key.to_owned(), lease);
            }
        }
        // Reservations of windows long over are dropped as others are made.
        if held.len() > 10_000 {
            let now = Utc::now();
            held.retain(|_, l| l.until > now);
        }
    }

    /// Counts one hit against `bucket`, from a reservation when one is held;
    /// refused like [`hit`] when the bucket is full.
    pub fn hit(&self, conn: &mut PgConnection, bucket: &Bucket) -> AppResult<()> {
        let now = Utc::now();
        if self.spend(&bucket.key, now) {
            return Ok(());
        }
        let window = chrono::Duration::seconds(bucket.window_secs);
        let limit = i32::try_from(bucket.limit).unwrap_or(i32::MAX);
        // A full reservation, or (near the limit) the last single hits.
        for n in [Self::chunk(limit), 1] {
            if let Some(started) = q::try_reserve(conn, &bucket.key, n, limit, now - window)? {
                if n > 1 {
                    let until = started + window;
                    self.keep(&bucket.key, Lease { left: n - 1, until });
                }
                return Ok(());
            }
            if n == 1 {
                break;
            }
        }
        Err(full(conn, bucket, now)?)
    }
}

/// The refusal of a full bucket: what is full, and when its window ends.
fn full(
    conn: &mut PgConnection,
    bucket: &Bucket,
    now: chrono::DateTime<Utc>,
) -> AppResult<AppError> {
    let window = chrono::Duration::seconds(bucket.window_secs);
    let started = q::window_started_at(conn, &bucket.key)?.unwrap_or(now);
    let left = (started + window - now).num_seconds().max(1);
    Ok(AppError::TooMany {
        message: format!("Too many {} — {}.", bucket.what, try_again_in(left)),
        retry_after: left as u64,
    })
}

/// "try again in 1 minute" / "in 42 minutes", rounded up.
pub fn try_again_in(secs: i64) -> String {
    let minutes = ((secs + 59) / 60).max(1);
    format!(
        "try again in {minutes} minute{}",
        if minutes == 1 { "" } else { "s" }
    )
}

/// Counts `n` hits against every bucket, or none when any of them is full: then
/// the request is refused with when to try again.
pub fn hit(conn: &mut PgConnection, buckets: &[Bucket], n: usize) -> AppResult<()> {
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    let now = Utc::now();
    conn.transaction(|conn| {
        for bucket in buckets {
            let window = chrono::Duration::seconds(bucket.window_secs);
            let window_start = now - window;
            let limit = i32::try_from(bucket.limit).unwrap_or(i32::MAX);
            if q::try_add(conn, &bucket.key, n, limit, window_start)?.is_some() {
                continue;
            }
            if n > limit {
                return Err(AppError::TooMany {
                    message: format!(
                        "That is {n} {}, more than the {limit} allowed per hour.",
                        bucket.what
                    ),
                    retry_after: bucket.window_secs as u64,
                });
            }
            return Err(full(conn, bucket, now)?);
        }
        // The upkeep job forgets windows long over (`services::upkeep`).
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_time_is_rounded_up_to_whole_minutes() {
        assert_eq!(try_again_in(1), "try again in 1 minute");
        assert_eq!(try_again_in(60), "try again in 1 minute");
        assert_eq!(try_again_in(61), "try again in 2 minutes");
        assert_eq!(try_again_in(3600), "try again in 60 minutes");
    }

    #[test]
    fn buckets_key_by_action_and_scope_and_never_hold_a_token() {
        let limits = crate::config::Settings::from_env().unwrap().limits;
        let hash = crate::services::invitations::hash_token("secret-token");
        let keys: Vec<String> = redeems(&limits, "10.0.0.1", &hash)
            .into_iter()
            .chain(invites(&limits, OrgId(7), AccountId(3), "10.0.0.1"))
            .chain(resets(&limits, " Ada@Example.com ", "10.0.0.1"))
            .map(|b| b.key)
            .collect();
        assert_eq!(keys[0], "redeem:ip:10.0.0.1");
        assert!(keys[1].starts_with("redeem:link:") && !keys[1].contains("secret"));
        assert_eq!(
            &keys[2..5],
            ["invite:org:7", "invite:account:3", "invite:ip:10.0.0.1"]
        );
        assert_eq!(keys[5], "reset:email:ada@example.com");
    }
}
