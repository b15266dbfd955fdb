//! First-run setup, organizations, and changes to one's own account. Sign-in
//! attempts are budgeted in `services::limits::signins`.

use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::db::{self, audit::NewEvent, organizations as orgs};
use crate::domain::{
    AccountId, DisplayName, EmailAddress, MembershipStatus, OrgId, OrgName, OrgRole,
};
use crate::error::{AppError, AppResult};

pub struct Setup {
    pub display_name: DisplayName,
    pub email: EmailAddress,
    pub password_hash: String,
    pub org_name: OrgName,
}

/// Creates the first account and its organization, unless an account exists.
pub fn setup(conn: &mut PgConnection, setup: Setup) -> AppResult<(AccountId, OrgId)> {
    conn.transaction(|conn| {
        // Two simultaneous first runs: the second waits here, then finds the account.
        diesel::sql_query("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE").execute(conn)?;
        if db::accounts::any_exist(conn)? {
            return Err(AppError::NotFound);
        }
        let account = db::accounts::insert(
            conn,
            setup.email.as_str(),
            setup.display_name.as_str(),
            &setup.password_hash,
        )?;
        let org = create_org_in_tx(conn, account, &setup.org_name)?;
        Ok((account, org))
    })
}

use diesel::RunQueryDsl;

fn create_org_in_tx(conn: &mut PgConnection, owner: AccountId, name: &OrgName) -> AppResult<OrgId> {
    let org = orgs::insert(conn, name.as_str())?;
    orgs::insert_membership(
        conn,
        org.id,
        owner,
        OrgRole::Owner,
        MembershipStatus::Active,
    )?;
    db::audit::insert(
        conn,
        NewEvent {
            organization_id: Some(org.id),
            actor: Some(owner),
            action: "organization.created",
            target_type: "organization",
            target_id: Some(org.id.to_string()),
            before: None,
            after: Some(json!({ "name": org.name, "owner": owner })),
        },
    )?;
    Ok(org.id)
}

/// Creates another organization with the account as its Owner.
pub fn create_org(conn: &mut PgConnection, owner: AccountId, name: &OrgName) -> AppResult<OrgId> {
    conn.transaction(|conn| create_org_in_tx(conn, owner, name))
}

pub fn rename_account(
    conn: &mut PgConnection,
    account: AccountId,
    name: &DisplayName,
) -> AppResult<()> {
    db::accounts::update_display_name(conn, account, name.as_str())?;
    Ok(())
}

/// An event of the account's own, in no organization: its security activity.
fn account_event(
    conn: &mut PgConnection,
    account: AccountId,
    action: &'static str,
    after: serde_json::Value,
) -> AppResult<()> {
    db::audit::insert(
        conn,
        NewEvent {
            organization_id: None,
            actor: Some(account),
            action,
            target_type: "account",
            target_id: Some(account.to_string()),
            before: None,
            after: Some(after),
        },
    )?;
    Ok(())
}

/// Sets a new password hash, ends every other session of the account and
/// expires its open reset links (one mailed before the change must not undo it).
pub fn change_password(
    conn: &mut PgConnection,
    account: AccountId,
    new_hash: &str,
    keep_sid: Option<&str>,
) -> AppResult<usize> {
    conn.transaction(|conn| {
        db::accounts::update_password_hash(conn, account, new_hash)?;
        db::password_resets::expire_open_of_account(conn, account)?;
        let ended = db::sessions::delete_all_for_account(conn, account, keep_sid)?;
        account_event(
            conn,
            account,
            "account.password_changed",
            json!({ "sessions_ended": ended }),
        )?;
        Ok(ended)
    })
}

/// Ends one session of the account (`Some(id)`) or all of them; how many ended.
pub fn end_sessions(
    conn: &mut PgConnection,
    account: AccountId,
    only: Option<i64>,
) -> AppResult<usize> {
    conn.transaction(|conn| {
        let ended = match only {
            Some(id) => db::sessions::delete_by_id_for_account(conn, id, account)?,
            None => db::sessions::delete_all_for_account(conn, account, None)?,
        };
        if ended > 0 {
            account_event(
                conn,
                account,
                "account.sessions_ended",
                json!({ "sessions_ended": ended, "all": only.is_none() }),
            )?;
        }
        Ok(ended)
    })
}

/// Writes a signed-in session's row; the first sign-in from a browser (a user
/// agent no live session of the account has, and no earlier sign-in recorded)
/// is recorded with it, in the same transaction.
pub fn record_session(conn: &mut PgConnection, row: db::sessions::SessionRow<'_>) -> AppResult<()> {
    conn.transaction(|conn| {
        let Some(account) = row.account_id else {
            db::sessions::insert(conn, row)?;
            return Ok(());
        };
        let user_agent = row.user_agent.to_owned();
        let seen = db::sessions::browser_seen(conn, account, &user_agent)?;
        db::sessions::insert(conn, row)?;
        if !seen {
            account_event(
                conn,
                account,
                "account.signed_in_new_browser",
                json!({ "user_agent": user_agent }),
            )?;
        }
        Ok(())
    })
}
