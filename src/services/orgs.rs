//! Organization settings: name, features, plan and seats.

use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::db::{self, audit::NewEvent, organizations as orgs};
use crate::domain::{policy::Actor, AccountId, Feature, OrgId, OrgName, Plan, SeatCount};
use crate::error::{AppError, AppResult};

fn audit(
    conn: &mut PgConnection,
    org: OrgId,
    actor: Option<AccountId>,
    action: &str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> AppResult<()> {
    db::audit::insert(
        conn,
        NewEvent {
            organization_id: Some(org),
            actor,
            action,
            target_type: "organization",
            target_id: Some(org.to_string()),
            before: Some(before),
            after: Some(after),
        },
    )?;
    Ok(())
}

pub fn rename(conn: &mut PgConnection, actor: &Actor, org: OrgId, name: &OrgName) -> AppResult<()> {
    conn.transaction(|conn| {
        let current = orgs::find_for_update(conn, org)?;
        orgs::update_name(conn, org, name.as_str())?;
        audit(
            conn,
            org,
            Some(actor.account_id),
            "organization.renamed",
            json!({"name": current.name}),
            json!({"name": name.as_str()}),
        )
    })
}

/// A feature as the Features page shows it.
#[derive(Debug, Clone)]
pub struct FeatureState {
    pub feature: Feature,
    /// Switched on (and allowed by the plan).
    pub enabled: bool,
    /// The plan allows it.
    pub available: bool,
}

fn plan_of(org: &orgs::Organization) -> Plan {
    Plan::parse(&org.plan).unwrap_or(Plan::Free)
}

pub fn features(conn: &mut PgConnection, org: &orgs::Organization) -> AppResult<Vec<FeatureState>> {
    let overrides = orgs::list_feature_overrides(conn, org.id)?;
    Ok(feature_states(org, &overrides))
}

/// Every feature's state from the organization's plan and its toggles.
pub fn feature_states(org: &orgs::Organization, overrides: &[(String, bool)]) -> Vec<FeatureState> {
    let plan = plan_of(org);
    Feature::ALL
        .into_iter()
        .map(|feature| {
            let chosen = overrides
                .iter()
                .find(|(key, _)| key == feature.key())
                .map(|(_, on)| *on)
                .unwrap_or(feature.enabled_by_default());
            let available = feature.available_on(plan);
            FeatureState {
                feature,
                enabled: chosen && available,
                available,
            }
        })
        .collect()
}

/// Whether a feature is on for the organization right now.
pub fn is_enabled(
    conn: &mut PgConnection,
    org: &orgs::Organization,
    feature: Feature,
) -> AppResult<bool> {
    Ok(features(conn, org)?
        .into_iter()
        .any(|f| f.feature == feature && f.enabled))
}

pub fn set_feature(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    feature: Feature,
    enabled: bool,
) -> AppResult<FeatureState> {
    conn.transaction(|conn| {
        let current = orgs::find_for_update(conn, org)?;
        if enabled && !feature.available_on(plan_of(&current)) {
            return Err(AppError::forbidden(format!(
                "{} needs the Pro plan.",
                feature.label()
            )));
        }
        orgs::upsert_feature(conn, org, feature, enabled)?;
        audit(
            conn,
            org,
            Some(actor.account_id),
            "organization.feature_toggled",
            json!({}),
            json!({"feature": feature.key(), "enabled": enabled}),
        )?;
        let state = features(conn, &current)?
            .into_iter()
            .find(|f| f.feature == feature);
        state.ok_or_else(|| AppError::unexpected(anyhow::anyhow!("feature vanished")))
    })
}

#[derive(Debug, Clone)]
pub struct Seats {
    pub plan: Plan,
    pub purchased: i32,
    pub used: i64,
}

pub fn seats(conn: &mut PgConnection, org: &orgs::Organization) -> AppResult<Seats> {
    Ok(Seats {
        plan: plan_of(org),
        purchased: org.seats_purchased,
        used: orgs::count_seats_used(conn, org.id)?,
    })
}

/// Changes purchased seats, never below the seats in use (checked under a row lock,
/// so a concurrent invitation cannot slip in between).
pub fn change_seats(
    conn: &mut PgConnection,
    actor: Option<AccountId>,
    org: OrgId,
    seats: SeatCount,
) -> AppResult<Seats> {
    conn.transaction(|conn| {
        let current = orgs::find_for_update(conn, org)?;
        let used = orgs::count_seats_used(conn, org)?;
        if i64::from(seats.get()) < used {
            return Err(AppError::Validation(format!(
                "{used} seat{} in use; remove members or invitations before going below that.",
                if used == 1 { " is" } else { "s are" }
            )));
        }
        orgs::update_seats(conn, org, seats.get())?;
        audit(
            conn,
            org,
            actor,
            "organization.seats_changed",
            json!({"seats": current.seats_purchased}),
            json!({"seats": seats.get()}),
        )?;
        Ok(Seats {
            plan: plan_of(&current),
            purchased: seats.get(),
            used,
        })
    })
}

/// The operator's command: sets the plan and, optionally, the seats.
pub fn set_plan(
    conn: &mut PgConnection,
    org: OrgId,
    plan: Plan,
    seats: Option<SeatCount>,
) -> AppResult<Seats> {
    conn.transaction(|conn| {
        let current = orgs::find_for_update(conn, org)?;
        orgs::update_plan(conn, org, plan.as_str())?;
        audit(
            conn,
            org,
            None,
            "organization.plan_changed",
            json!({"plan": current.plan}),
            json!({"plan": plan.as_str()}),
        )?;
        match seats {
            Some(seats) => change_seats(conn, None, org, seats).map(|s| Seats { plan, ..s }),
            None => Ok(Seats {
                plan,
                purchased: current.seats_purchased,
                used: orgs::count_seats_used(conn, org)?,
            }),
        }
    })
}

/// Finds an organization for the CLI: by id, or by its exact name only when the
/// operator says `by_name` and exactly one organization has it. A number is never
/// taken for a name, nor a name for a number: a tenant could name itself "1".
pub fn resolve(conn: &mut PgConnection, arg: &str, by_name: bool) -> AppResult<orgs::Organization> {
    if !by_name {
        let id = arg.trim().parse::<i64>().map_err(|_| {
            AppError::Validation(format!(
                "{arg:?} is not an organization id (see `roster org list`); to give its exact name, add --by-name."
            ))
        })?;
        return orgs::find_by_id(conn, OrgId(id))?.ok_or(AppError::NotFound);
    }
    let mut found = orgs::find_all_by_name(conn, arg)?;
    match found.len() {
        0 => Err(AppError::NotFound),
        1 => Ok(found.remove(0)),
        n => Err(AppError::Conflict(format!(
            "{n} organizations are named {arg:?}; use the id (see `roster org list`)."
        ))),
    }
}
