//! actix-session's `SessionStore` on PostgreSQL through the diesel pool.
//!
//! The cookie carries a random 256-bit key; the table keeps only its SHA-256.
//! `load` refuses sessions past their idle expiry or absolute lifetime, so both
//! timeouts hold on every instance without any in-memory state.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::{self, sessions, PgPool};
use crate::domain::AccountId;
use crate::web::plumbing::prefetch;

/// Session state keys with meaning outside the session itself.
pub const ACCOUNT_ID: &str = "account_id";
pub const SID: &str = "sid";
pub const USER_AGENT: &str = "ua";

#[derive(Clone)]
pub struct PgSessionStore {
    pool: PgPool,
    idle: CookieDuration,
    absolute: std::time::Duration,
}

impl PgSessionStore {
    pub fn new(pool: PgPool, idle: std::time::Duration, absolute: std::time::Duration) -> Self {
        Self {
            pool,
            idle: CookieDuration::seconds(idle.as_secs() as i64),
            absolute,
        }
    }
}

/// A session used within the last `slack` seconds keeps its expiry: reads do
/// not write on every request.
fn touch_cutoff(ttl: &CookieDuration) -> DateTime<Utc> {
    let slack = (ttl.whole_seconds() / 60).clamp(1, 15);
    Utc::now() - chrono::Duration::seconds(slack)
}

pub fn hash_key(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// The oldest creation time a session may have and still be live.
pub fn absolute_cutoff(absolute: std::time::Duration) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::from_std(absolute).unwrap_or(chrono::Duration::hours(12))
}

fn expiry(ttl: &CookieDuration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(ttl.whole_seconds())
}

fn new_key() -> SessionKey {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    SessionKey::try_from(hex::encode(bytes)).expect("64 hex characters is a valid session key")
}

/// actix-session keeps each value JSON-encoded; decode the ones we index.
fn decoded<T: serde::de::DeserializeOwned>(
    state: &HashMap<String, String>,
    key: &str,
) -> Option<T> {
    state
        .get(key)
        .and_then(|raw| serde_json::from_str(raw).ok())
}

struct Derived {
    account_id: Option<AccountId>,
    sid: Option<String>,
    user_agent: String,
    state: Value,
}

fn derive(state: &HashMap<String, String>) -> Result<Derived, serde_json::Error> {
    Ok(Derived {
        account_id: decoded::<i64>(state, ACCOUNT_ID).map(AccountId),
        sid: decoded(state, SID),
        user_agent: decoded(state, USER_AGENT).unwrap_or_default(),
        state: serde_json::to_value(state)?,
    })
}

async fn blocking<T: Send + 'static>(
    pool: &PgPool,
    f: impl FnOnce(&mut diesel::PgConnection) -> diesel::QueryResult<T> + Send + 'static,
) -> anyhow::Result<T> {
    in_service(pool, move |conn| Ok(f(conn)?)).await
}

/// Runs a service call for the store; an outage is noted for the next requests.
async fn in_service<T: Send + 'static>(
    pool: &PgPool,
    f: impl FnOnce(&mut diesel::PgConnection) -> crate::error::AppResult<T> + Send + 'static,
) -> anyhow::Result<T> {
    db::run(pool, f).await.map_err(|e| {
        if matches!(e, crate::error::AppError::Unavailable { .. }) {
            prefetch::note_unavailable();
        }
        anyhow::anyhow!("{e:?}")
    })
}

impl SessionStore for PgSessionStore {
    async fn load(
        &self,
        session_key: &SessionKey,
    ) -> Result<Option<HashMap<String, String>>, LoadError> {
        let hash = hash_key(session_key.as_ref());
        // Loading also extends the idle expiry (the middleware's TTL policy is
        // "on state changes", so no second statement per request).
        let live = sessions::Liveness {
            created_after: absolute_cutoff(self.absolute),
            expires_at: expiry(&self.idle),
            // A presence request never counts as use (see `prefetch::passive`).
            touch_unless_used_after: if prefetch::passive() {
                DateTime::<Utc>::UNIX_EPOCH
            } else {
                touch_cutoff(&self.idle)
            },
        };
        // The signed-in account comes in the same statement when the request
        // noted what its lookup will ask for (see `prefetch`).
        let ask = prefetch::ask();
        let loaded = blocking(&self.pool, move |conn| match ask {
            Some(ask) => {
                sessions::find_live_state_and_account(conn, &hash, live, ask.with_orgs, ask.org)
            }
            None => Ok(sessions::find_live_state(conn, &hash, live)?.map(|state| (state, None))),
        })
        .await
        .map_err(LoadError::Other)?;
        let Some((state, account)) = loaded else {
            return Ok(None);
        };
        let state =
            serde_json::from_value(state).map_err(|e| LoadError::Deserialization(e.into()))?;
        if let Some(account) = account {
            prefetch::leave(account);
        }
        Ok(Some(state))
    }

    async fn save(
        &self,
        state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, SaveError> {
        let key = new_key();
        let hash = hash_key(key.as_ref());
        let derived = derive(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let expires_at = expiry(ttl);
        in_service(&self.pool, move |conn| {
            crate::services::auth::record_session(
                conn,
                sessions::SessionRow {
                    key_hash: &hash,
                    account_id: derived.account_id,
                    sid: derived.sid.as_deref(),
                    user_agent: &derived.user_agent,
                    state: derived.state,
                    expires_at,
                },
            )
        })
        .await
        .map_err(SaveError::Other)?;
        Ok(key)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: HashMap<String, String>,
        ttl: &CookieDuration,
    ) -> Result<SessionKey, UpdateError> {
        let hash = hash_key(session_key.as_ref());
        let derived = derive(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let expires_at = expiry(ttl);
        let updated = blocking(&self.pool, move |conn| {
            sessions::update(
                conn,
                sessions::SessionRow {
                    key_hash: &hash,
                    account_id: derived.account_id,
                    sid: derived.sid.as_deref(),
                    user_agent: &derived.user_agent,
                    state: derived.state,
                    expires_at,
                },
            )
        })
        .await
        .map_err(UpdateError::Other)?;
        if updated == 0 {
            // The session ended meanwhile (signed out elsewhere): never resurrect it;
            // start a fresh, signed-out one instead.
            let mut state = state;
            state.remove(ACCOUNT_ID);
            state.remove(SID);
            return self
                .save(state, ttl)
                .await
                .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")));
        }
        Ok(session_key)
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &CookieDuration,
    ) -> Result<(), anyhow::Error> {
        let hash = hash_key(session_key.as_ref());
        let expires_at = expiry(ttl);
        let unless_used_after = touch_cutoff(ttl);
        blocking(&self.pool, move |conn| {
            sessions::touch(conn, &hash, expires_at, unless_used_after)
        })
        .await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let hash = hash_key(session_key.as_ref());
        blocking(&self.pool, move |conn| sessions::delete_by_key(conn, &hash)).await?;
        Ok(())
    }
}
