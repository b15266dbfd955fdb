//! Seeding: one member by the operator's command, the demo organization, and
//! (for the benchmark) a large data set. Bulk rows are generated in SQL so that
//! hundreds of thousands take seconds.

use diesel::{connection::SimpleConnection, Connection, PgConnection};
use serde_json::json;

use crate::db::{self, audit::NewEvent};
use crate::domain::{
    DisplayName, EmailAddress, MembershipId, MembershipStatus, OrgId, OrgName, OrgRole, Password,
};
use crate::error::{AppError, AppResult};
use crate::services::passwords;

/// A hash no password matches: accounts created by an operator sign in after a reset.
pub const NO_PASSWORD: &str = "!no-password";

/// Adds an account (created when new) to an organization with a role.
pub fn add_member(
    conn: &mut PgConnection,
    org: OrgId,
    email: &EmailAddress,
    name: Option<&DisplayName>,
    role: OrgRole,
    status: MembershipStatus,
) -> AppResult<(MembershipId, bool)> {
    conn.transaction(|conn| {
        let (account, created) = match db::accounts::find_by_email(conn, email.as_str())? {
            Some(account) => (account.id, false),
            None => {
                let fallback = email.as_str().split('@').next().unwrap_or("Member").to_owned();
                let name = name.map(|n| n.as_str().to_owned()).unwrap_or(fallback);
                (db::accounts::insert(conn, email.as_str(), &name, NO_PASSWORD)?, true)
            }
        };
        let membership = db::organizations::insert_membership(conn, org, account, role, status)
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict(_) => AppError::Conflict(format!("{} is already a member.", email.as_str())),
                other => other,
            })?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: None,
                action: "member.added",
                target_type: "membership",
                target_id: Some(membership.to_string()),
                before: None,
                after: Some(json!({"email": email.as_str(), "role": role.as_str(), "status": status.as_str()})),
            },
        )?;
        Ok((membership, created))
    })
}

/// Queues a "set your password" email for every member of `org` whose account
/// has no password yet, so that the people the demo names can get in; returns
/// how many were queued.
pub fn mail_set_password_links(
    conn: &mut PgConnection,
    org: OrgId,
    links: &crate::services::password_resets::ResetLinks,
) -> AppResult<usize> {
    let organization = db::organizations::find_by_id(conn, org)?.ok_or(AppError::NotFound)?;
    let mut queued = 0;
    for account in db::accounts::without_password_in(conn, org, NO_PASSWORD)? {
        if crate::services::password_resets::queue_set_password(
            conn,
            account,
            &organization.name,
            links,
        )? {
            queued += 1;
        }
    }
    Ok(queued)
}

pub const DEMO_EMAIL: &str = "owner@demo.roster.test";
pub const DEMO_PASSWORD: &str = "roster demo password";

/// Creates "Demo Company": an Owner you can sign in as, 5 teams with groups and
/// services, and `members` members spread over them. Returns the organization id.
pub fn seed_demo(conn: &mut PgConnection, members: i64) -> AppResult<OrgId> {
    let password = Password::parse(DEMO_PASSWORD).map_err(|e| AppError::Validation(e.0))?;
    let hash = passwords::hash(&password).map_err(AppError::Unexpected)?;
    conn.transaction(|conn| {
        let owner = match db::accounts::find_by_email(conn, DEMO_EMAIL)? {
            Some(account) => account.id,
            None => db::accounts::insert(conn, DEMO_EMAIL, "Dana Demo", &hash)?,
        };
        let name = OrgName::parse("Demo Company").map_err(|e| AppError::Validation(e.0))?;
        let org = crate::services::auth::create_org(conn, owner, &name)?;
        crate::services::orgs::set_plan(conn, org, crate::domain::Plan::Pro, None)?;
        db::organizations::update_seats(conn, org, (members + 50) as i32)?;
        seed_org_sql(conn, org, members, 5, &format!("demo{}", org.0))?;
        seed_contacts_sql(conn, org, 40)?;
        Ok(org)
    })
}

/// Fills an organization with `members` generated members (emails
/// `<prefix>-<n>@example.test`), `teams` teams with 3 groups and 4 services each,
/// every member in one or two teams and most in a group.
pub fn seed_org_sql(
    conn: &mut PgConnection,
    org: OrgId,
    members: i64,
    teams: i64,
    prefix: &str,
) -> AppResult<()> {
    let org = org.0;
    let prefix = prefix.replace('\'', "");
    // The per-row count trigger would update the organization's one counts
    // row once per member (minutes for a million): it is off while the
    // members go in, and the counts are made once after.
    conn.batch_execute(&format!(
        r#"
        ALTER TABLE memberships DISABLE TRIGGER memberships_count;
        WITH first AS (SELECT unnest(ARRAY['Ada','Ben','Chloé','Dmitri','Eva','Farah','Gustav','Hana','Ivan','Jana','Kofi','Lena','Mateo','Nora','Omar','Priya','Quinn','Rosa','Sven','Tariq','Uma','Viktor','Wen','Xavier','Yara','Zoltan']) AS f),
             last AS (SELECT unnest(ARRAY['Anders','Brown','Castillo','Dubois','Evans','Fischer','García','Hughes','Ito','Jensen','Kowalski','Larsen','Müller','Nakamura','Okafor','Petrov','Quist','Rossi','Silva','Tanaka','Usman','Varga','Weber','Xu','Young','Zhang']) AS l),
             names AS (SELECT f || ' ' || l AS name, row_number() OVER () AS n FROM first, last),
             gen AS (SELECT g, names.name FROM generate_series(1, {members}) g JOIN names ON names.n = 1 + (g::bigint * 7919) % 676),
             acc AS (
               INSERT INTO accounts (email, display_name, password_hash, last_seen_at)
               SELECT '{prefix}-' || g || '@example.test', name, '{no_password}',
                      CASE WHEN g % 3 = 0 THEN NULL ELSE now() - (g % 1000) * interval '1 hour' END
               FROM gen
               ON CONFLICT DO NOTHING
               RETURNING id, email)
        INSERT INTO memberships (organization_id, account_id, role, status)
        SELECT {org}, acc.id,
               CASE WHEN g % 97 = 0 THEN 'admin' WHEN g % 13 = 0 THEN 'manager' ELSE 'member' END,
               CASE WHEN g % 29 = 0 THEN 'pending' ELSE 'active' END
        FROM acc JOIN gen ON acc.email = '{prefix}-' || gen.g || '@example.test';
        ALTER TABLE memberships ENABLE TRIGGER memberships_count;
        INSERT INTO membership_counts (organization_id, status, owner, n, changes)
        SELECT {org}, status, role = 'owner', count(*), count(*) FROM memberships
        WHERE organization_id = {org} GROUP BY status, role = 'owner'
        ON CONFLICT (organization_id, status, owner)
        DO UPDATE SET n = excluded.n, changes = membership_counts.changes + excluded.changes;

        INSERT INTO teams (organization_id, name, description, workflow_id)
        SELECT {org}, (ARRAY['Support','Sales','Success','Billing','Onboarding','Quality','Escalations','Partners','Research','Operations'])[1 + (t - 1) % 10]
                      || CASE WHEN t > 10 THEN ' ' || ((t - 1) / 10 + 1) ELSE '' END,
               'A demo team.', 'wf_' || md5(random()::text || clock_timestamp()::text)
        FROM generate_series(1, {teams}) t;

        INSERT INTO groups (organization_id, team_id, name)
        SELECT {org}, t.id, gname FROM teams t, unnest(ARRAY['Tier 1','Tier 2','Night shift']) gname
        WHERE t.organization_id = {org} AND NOT EXISTS (SELECT 1 FROM groups g WHERE g.team_id = t.id);

        INSERT INTO services (organization_id, team_id, name, description)
        SELECT {org}, t.id, sname, 'A demo service.' FROM teams t, unnest(ARRAY['Phone','Chat','Email','Callbacks']) sname
        WHERE t.organization_id = {org} AND NOT EXISTS (SELECT 1 FROM services s WHERE s.team_id = t.id);

        INSERT INTO group_services (group_id, service_id)
        SELECT g.id, s.id FROM groups g JOIN services s ON s.team_id = g.team_id
        WHERE g.organization_id = {org} AND (g.name = 'Tier 1' AND s.name IN ('Phone','Chat') OR g.name = 'Tier 2' AND s.name = 'Email' OR g.name = 'Night shift' AND s.name = 'Callbacks')
        ON CONFLICT DO NOTHING;

        WITH m AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM memberships WHERE organization_id = {org} AND role <> 'owner'),
             t AS (SELECT id, row_number() OVER (ORDER BY id) AS n, count(*) OVER () AS total FROM teams WHERE organization_id = {org})
        INSERT INTO team_memberships (organization_id, team_id, membership_id, role)
        SELECT {org}, t.id, m.id, CASE WHEN m.n % 50 = 0 THEN 'team_manager' WHEN m.n % 10 = 0 THEN 'supervisor' ELSE 'agent' END
        FROM m JOIN t ON t.n = 1 + m.n % t.total OR (m.n % 4 = 0 AND t.n = 1 + (m.n + 1) % t.total)
        ON CONFLICT DO NOTHING;

        INSERT INTO group_members (group_id, team_membership_id)
        SELECT g.id, tm.id FROM team_memberships tm
        JOIN memberships m ON m.id = tm.membership_id AND m.status = 'active'
        JOIN LATERAL (SELECT id FROM groups WHERE team_id = tm.team_id ORDER BY id OFFSET tm.id % 4 LIMIT 1) g ON true
        WHERE tm.organization_id = {org}
        ON CONFLICT DO NOTHING;

        ANALYZE accounts; ANALYZE memberships; ANALYZE team_memberships; ANALYZE group_members;
        ANALYZE teams; ANALYZE groups;
        "#,
        no_password = NO_PASSWORD,
    ))?;
    Ok(())
}

/// Gives each of the organization's teams `per_team` contacts: three in four
/// assigned round-robin to the team's active members, the rest unassigned.
pub fn seed_contacts_sql(conn: &mut PgConnection, org: OrgId, per_team: i64) -> AppResult<()> {
    let org = org.0;
    conn.batch_execute(&format!(
        r#"
        WITH first AS (SELECT unnest(ARRAY['Amara','Bruno','Céline','Dario','Elif','Femi','Greta','Hiro','Inés','Jonas','Kaito','Leila','Marek','Nia','Olek','Paz','Rania','Soren','Tomás','Ume','Vera','Wiktor','Yusuf','Zainab']) AS f),
             last AS (SELECT unnest(ARRAY['Abbott','Baker','Costa','Dahl','Eriksen','Ferreira','Gallo','Horvat','Ibsen','Juarez','Kaur','Lund','Moreau','Novak','Ortiz','Park','Reyes','Sato','Toivonen','Vidal']) AS l),
             names AS (SELECT f || ' ' || l AS name, row_number() OVER () AS n FROM first, last),
             active AS (
               SELECT tm.team_id, tm.membership_id,
                      row_number() OVER (PARTITION BY tm.team_id ORDER BY tm.membership_id) AS n,
                      count(*) OVER (PARTITION BY tm.team_id) AS total
               FROM team_memberships tm JOIN memberships m ON m.id = tm.membership_id AND m.status = 'active'
               WHERE tm.organization_id = {org}),
             gen AS (
               SELECT t.id AS team_id, g, (SELECT name FROM names WHERE n = 1 + (t.id * 31 + g * 7) % 480) AS name
               FROM teams t, generate_series(1, {per_team}) g WHERE t.organization_id = {org})
        INSERT INTO contacts (organization_id, team_id, name, email, phone, note, assignee_membership_id)
        SELECT {org}, gen.team_id, gen.name,
               lower(replace(gen.name, ' ', '.')) || '.' || gen.g || '@customer.example',
               '+1 (555) ' || lpad(((gen.team_id * 97 + gen.g) % 10000)::text, 4, '0'),
               CASE WHEN gen.g % 3 = 0 THEN 'Prefers a call in the morning.' ELSE '' END,
               CASE WHEN gen.g % 4 = 0 THEN NULL ELSE
                 (SELECT a.membership_id FROM active a WHERE a.team_id = gen.team_id AND a.n = 1 + gen.g % a.total) END
        FROM gen;
        ANALYZE contacts;
        "#
    ))?;
    Ok(())
}

pub const BENCH_EMAIL: &str = "bench-owner@example.test";
pub const BENCH_PASSWORD: &str = "benchmark password";

/// The benchmark's data set: 99 organizations sharing 190,000 members and one of
/// 10,000 members in 20 teams, 200,000 accounts in all. Returns the large one.
#[cfg(feature = "bench")]
pub fn seed_bench(conn: &mut PgConnection) -> AppResult<OrgId> {
    let password = Password::parse(BENCH_PASSWORD).map_err(|e| AppError::Validation(e.0))?;
    let hash = passwords::hash(&password).map_err(AppError::Unexpected)?;
    let owner = db::accounts::insert(conn, BENCH_EMAIL, "Bench Owner", &hash)?;
    let big = crate::services::auth::create_org(
        conn,
        owner,
        &OrgName::parse("Large Org").map_err(|e| AppError::Validation(e.0))?,
    )?;
    db::organizations::update_seats(conn, big, 20_000)?;
    seed_org_sql(conn, big, 10_000 - 1, 20, "big")?;
    for n in 1..100 {
        let name = OrgName::parse(&format!("Org {n}")).map_err(|e| AppError::Validation(e.0))?;
        let org = crate::services::auth::create_org(conn, owner, &name)?;
        db::organizations::update_seats(conn, org, 5_000)?;
        seed_org_sql(conn, org, 1_920, 2, &format!("org{n}"))?;
    }
    Ok(big)
}

/// An organization of `members` members in 20 teams (like the benchmark's
/// large one), owned by the benchmark's owner: the members list's scale
/// scenarios (100,000 and 1,000,000 members). An organization of that name is
/// returned as it is.
#[cfg(feature = "bench")]
pub fn seed_bench_org(
    conn: &mut PgConnection,
    name: &str,
    prefix: &str,
    members: i64,
) -> AppResult<OrgId> {
    let owner = db::accounts::find_by_email(conn, BENCH_EMAIL)?
        .ok_or_else(|| AppError::Validation("seed the benchmark first (bench-seed)".into()))?
        .id;
    if let Some(org) = db::organizations::find_all_by_name(conn, name)?.first() {
        return Ok(org.id);
    }
    let name = OrgName::parse(name).map_err(|e| AppError::Validation(e.0))?;
    // A million members take minutes to go in, longer than a statement may
    // run in a request.
    conn.batch_execute("SET statement_timeout = 0")?;
    conn.transaction(|conn| {
        let org = crate::services::auth::create_org(conn, owner, &name)?;
        crate::services::orgs::set_plan(conn, org, crate::domain::Plan::Pro, None)?;
        let seats = (members + 1_000).min(i64::from(crate::domain::names::MAX_SEATS));
        db::organizations::update_seats(conn, org, seats as i32)?;
        seed_org_sql(conn, org, members - 1, 20, prefix)?;
        Ok(org)
    })
}
