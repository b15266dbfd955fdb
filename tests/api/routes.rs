//! Walks every route of the application with every kind of visitor and asserts
//! the status each gets. The route list is `roster::web::route_table()`, made
//! from the same `routes!` lists that register the routes, so a route added
//! without an entry here fails this test.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use crate::helpers::{location, spawn_app, TestApp, TestClient, PASSWORD};

/// What a visitor gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// This exact status (a 303 anywhere but sign-in counts as 303).
    Status(u16),
    /// Sent to sign in.
    SignIn,
}

use Want::{SignIn, Status};

const S200: Want = Status(200);
const S303: Want = Status(303);
const S401: Want = Status(401);
const S403: Want = Status(403);
const S404: Want = Status(404);
const S409: Want = Status(409);
const S422: Want = Status(422);

/// Visitors, in this order: Owner, Admin, Manager, team manager, agent, someone
/// from another organization, anonymous.
const ACTORS: [&str; 7] = [
    "owner",
    "admin",
    "manager",
    "team manager",
    "agent",
    "outsider",
    "anonymous",
];

/// (method, path, expected per actor). Paths use the placeholders of the routes.
fn table() -> Vec<(&'static str, &'static str, [Want; 7])> {
    let member_page = [S200, S200, S200, S200, S200, S404, SignIn];
    let settings_view = [S200, S200, S403, S403, S403, S404, SignIn];
    let roles_view = [S200, S200, S403, S403, S403, S404, SignIn];
    let signed_in = [S200, S200, S200, S200, S200, S200, SignIn];
    // Team changes: org-wide managers and the team's manager; the team's agent is refused.
    let team_change = [S422, S422, S422, S422, S403, S404, SignIn];
    let team_done = [S303, S303, S303, S303, S403, S404, SignIn];
    let team_view_edit = [S200, S200, S200, S200, S403, S404, SignIn];
    vec![
        ("GET", "/", [S303, S303, S303, S303, S303, S303, SignIn]),
        ("GET", "/healthz", [S200; 7]),
        ("GET", "/readyz", [S200; 7]),
        // Served only by the metrics listener (src/web/plumbing/metrics.rs), never here.
        ("GET", "/metrics", [S404; 7]),
        ("GET", "/static/{hash}/{path:.*}", [S200; 7]),
        ("GET", "/setup", [S404; 7]),
        ("POST", "/setup", [S404; 7]),
        ("GET", "/signin", [S303, S303, S303, S303, S303, S303, S200]),
        ("POST", "/signin", [S401; 7]),
        ("POST", "/signout", [SignIn; 7]),
        // Anyone may ask for a reset link; an empty form is refused in place.
        ("GET", "/password/forgot", [S200; 7]),
        ("POST", "/password/forgot", [S422; 7]),
        // A made-up token: the same clear page for everyone.
        ("GET", "/password/reset/{token}", [S404; 7]),
        ("POST", "/password/reset/{token}", [S404; 7]),
        ("GET", "/profile", signed_in),
        (
            "POST",
            "/profile/name",
            [S422, S422, S422, S422, S422, S422, SignIn],
        ),
        (
            "POST",
            "/profile/password",
            [S422, S422, S422, S422, S422, S422, SignIn],
        ),
        ("POST", "/profile/sessions/end-all", [SignIn; 7]),
        (
            "POST",
            "/profile/sessions/{id}/end",
            [S404, S404, S404, S404, S404, S404, SignIn],
        ),
        ("GET", "/orgs/new", signed_in),
        (
            "POST",
            "/orgs",
            [S422, S422, S422, S422, S422, S422, SignIn],
        ),
        ("GET", "/orgs/{org}", member_page),
        (
            "GET",
            "/orgs/{org}/settings",
            [S303, S303, S403, S403, S403, S404, SignIn],
        ),
        ("GET", "/orgs/{org}/settings/general", settings_view),
        (
            "POST",
            "/orgs/{org}/settings/general",
            [S422, S422, S403, S403, S403, S404, SignIn],
        ),
        ("GET", "/orgs/{org}/settings/features", settings_view),
        (
            "POST",
            "/orgs/{org}/settings/features/{feature}",
            [S422, S422, S403, S403, S403, S404, SignIn],
        ),
        ("GET", "/orgs/{org}/settings/plan", settings_view),
        (
            "POST",
            "/orgs/{org}/settings/plan",
            [S422, S403, S403, S403, S403, S404, SignIn],
        ),
        ("GET", "/orgs/{org}/settings/roles", roles_view),
        (
            "POST",
            "/orgs/{org}/settings/roles",
            [S422, S422, S403, S403, S403, S404, SignIn],
        ),
        ("GET", "/orgs/{org}/settings/roles/{role}", roles_view),
        (
            "POST",
            "/orgs/{org}/settings/roles/{role}",
            [S422, S422, S403, S403, S403, S404, SignIn],
        ),
        // Without htmx the row alone is no page: it leads back to the list.
        (
            "GET",
            "/orgs/{org}/settings/roles/{role}/row",
            [S303, S303, S403, S403, S403, S404, SignIn],
        ),
        (
            "GET",
            "/orgs/{org}/settings/roles/{role}/delete",
            roles_view,
        ),
        (
            "POST",
            "/orgs/{org}/settings/roles/{role}/delete",
            [S303, S303, S403, S403, S403, S404, SignIn],
        ),
        ("GET", "/orgs/{org}/settings/api-tokens", settings_view),
        // An empty form: no name, no scopes.
        (
            "POST",
            "/orgs/{org}/settings/api-tokens",
            [S422, S422, S403, S403, S403, S404, SignIn],
        ),
        (
            "POST",
            "/orgs/{org}/settings/api-tokens/{token}/revoke",
            [S303, S303, S403, S403, S403, S404, SignIn],
        ),
        ("GET", "/orgs/{org}/settings/api", settings_view),
        ("GET", "/orgs/{org}/teams", member_page),
        (
            "POST",
            "/orgs/{org}/teams",
            [S422, S422, S422, S403, S403, S404, SignIn],
        ),
        ("GET", "/orgs/{org}/teams/{team}", member_page),
        ("POST", "/orgs/{org}/teams/{team}/members", team_change),
        // An empty address is refused in place; the team's agent may not add anyone.
        ("POST", "/orgs/{org}/teams/{team}/add-by-email", team_change),
        // The row alone is no page without htmx; an agent does not see other members' rows.
        (
            "GET",
            "/orgs/{org}/teams/{team}/members/{member}",
            [S303, S303, S303, S303, S404, S404, SignIn],
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/members/{member}",
            team_change,
        ),
        (
            "GET",
            "/orgs/{org}/teams/{team}/members/{member}/edit",
            [S200, S200, S200, S200, S403, S404, SignIn],
        ),
        (
            "GET",
            "/orgs/{org}/teams/{team}/members/{member}/remove",
            team_view_edit,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/members/{member}/remove",
            team_done,
        ),
        ("GET", "/orgs/{org}/teams/{team}/settings", member_page),
        // Everyone in the team sees the tab; an agent only their own calls.
        ("GET", "/orgs/{org}/teams/{team}/calls", member_page),
        ("POST", "/orgs/{org}/teams/{team}/settings", team_change),
        (
            "POST",
            "/orgs/{org}/teams/{team}/settings/goal",
            team_change,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/settings/toggle",
            team_change,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/settings/workflow-id",
            team_done,
        ),
        ("POST", "/orgs/{org}/teams/{team}/archive", team_done),
        ("POST", "/orgs/{org}/teams/{team}/unarchive", team_done),
        ("POST", "/orgs/{org}/teams/{team}/delete", team_change),
        ("GET", "/orgs/{org}/teams/{team}/groups", member_page),
        ("POST", "/orgs/{org}/teams/{team}/groups", team_change),
        (
            "GET",
            "/orgs/{org}/teams/{team}/groups/{group}",
            member_page,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/groups/{group}",
            team_change,
        ),
        (
            "GET",
            "/orgs/{org}/teams/{team}/groups/{group}/edit",
            team_view_edit,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/groups/{group}/delete",
            team_done,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/groups/{group}/members",
            team_change,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/groups/{group}/members/{member}/remove",
            team_done,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/groups/{group}/services",
            team_change,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/groups/{group}/services/{service}/remove",
            team_done,
        ),
        ("GET", "/orgs/{org}/teams/{team}/services", member_page),
        ("POST", "/orgs/{org}/teams/{team}/services", team_change),
        (
            "GET",
            "/orgs/{org}/teams/{team}/services/{service}",
            member_page,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/services/{service}",
            team_change,
        ),
        (
            "GET",
            "/orgs/{org}/teams/{team}/services/{service}/edit",
            team_view_edit,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/services/{service}/active",
            team_change,
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/services/{service}/delete",
            team_done,
        ),
        // Contacts: Walk contact (501) is assigned to Bob; the agent sees only
        // their own, so for them it does not exist.
        ("GET", "/orgs/{org}/teams/{team}/contacts", member_page),
        ("POST", "/orgs/{org}/teams/{team}/contacts", team_change),
        (
            "POST",
            "/orgs/{org}/teams/{team}/contacts/bulk",
            team_change,
        ),
        (
            "GET",
            "/orgs/{org}/teams/{team}/contacts/{contact}",
            [S303, S303, S303, S303, S404, S404, SignIn],
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/contacts/{contact}",
            [S422, S422, S422, S422, S404, S404, SignIn],
        ),
        (
            "GET",
            "/orgs/{org}/teams/{team}/contacts/{contact}/edit",
            [S200, S200, S200, S200, S404, S404, SignIn],
        ),
        (
            "GET",
            "/orgs/{org}/teams/{team}/contacts/{contact}/delete",
            [S200, S200, S200, S200, S404, S404, SignIn],
        ),
        (
            "POST",
            "/orgs/{org}/teams/{team}/contacts/{contact}/delete",
            team_done,
        ),
        (
            "GET",
            "/orgs/{org}/teams/{team}/contacts/{contact}/assign",
            [S200, S200, S200, S200, S404, S404, SignIn],
        ),
        // An empty choice unassigns.
        (
            "POST",
            "/orgs/{org}/teams/{team}/contacts/{contact}/assign",
            team_done,
        ),
        (
            "GET",
            "/orgs/{org}/members/invite",
            [S200, S200, S200, S403, S403, S404, SignIn],
        ),
        (
            "POST",
            "/orgs/{org}/members/invite",
            [S422, S422, S422, S403, S403, S404, SignIn],
        ),
        (
            "GET",
            "/orgs/{org}/members/add-by-id",
            [S200, S200, S200, S403, S403, S404, SignIn],
        ),
        // An empty account ID is refused in place.
        (
            "POST",
            "/orgs/{org}/members/add-by-id",
            [S422, S422, S422, S403, S403, S404, SignIn],
        ),
        // One's own invitations: a made-up one is nobody's.
        ("GET", "/invitations", signed_in),
        (
            "POST",
            "/invitations/{id}/accept",
            [S404, S404, S404, S404, S404, S404, SignIn],
        ),
        (
            "POST",
            "/invitations/{id}/decline",
            [S404, S404, S404, S404, S404, S404, SignIn],
        ),
        // An empty confirm: there is no list to invite.
        (
            "POST",
            "/orgs/{org}/members/invite/confirm",
            [S422, S422, S422, S403, S403, S404, SignIn],
        ),
        // Bob is an active member: there is no open invitation to resend, revoke or copy.
        (
            "POST",
            "/orgs/{org}/members/{member}/invitation/resend",
            [S404, S404, S404, S404, S404, S404, SignIn],
        ),
        (
            "POST",
            "/orgs/{org}/members/{member}/invitation/revoke",
            [S404, S404, S404, S404, S404, S404, SignIn],
        ),
        (
            "POST",
            "/orgs/{org}/members/{member}/invitation/link",
            [S404, S404, S404, S404, S404, S404, SignIn],
        ),
        // A made-up token: the same clear page for everyone, signed in or not.
        ("GET", "/invite/{token}", [S404; 7]),
        ("POST", "/invite/{token}", [S404; 7]),
        ("GET", "/orgs/{org}/members", member_page),
        // Its answer names each member: only those who see every member may ask.
        (
            "POST",
            "/orgs/{org}/members/bulk",
            [S422, S422, S422, S403, S403, S404, SignIn],
        ),
        (
            "POST",
            "/orgs/{org}/members/{member}",
            [S303, S303, S303, S404, S404, S404, SignIn],
        ),
        // Bob's page: those who see every member; the others see only their own.
        (
            "GET",
            "/orgs/{org}/members/{member}",
            [S200, S200, S200, S404, S404, S404, SignIn],
        ),
        ("GET", "/orgs/{org}/settings/audit", settings_view),
        (
            "GET",
            "/orgs/{org}/settings/audit/export.csv",
            settings_view,
        ),
        // An empty form keeps events forever.
        (
            "POST",
            "/orgs/{org}/settings/audit/retention",
            [S303, S303, S403, S403, S403, S404, SignIn],
        ),
        (
            "GET",
            "/orgs/{org}/members/{member}/row",
            [S200, S200, S200, S404, S404, S404, SignIn],
        ),
        (
            "GET",
            "/orgs/{org}/members/{member}/edit",
            [S200, S200, S200, S404, S404, S404, SignIn],
        ),
        // The member lifecycle. Those who do not see every member get a 404 for
        // one member's dialogs and changes, as for the edit form.
        (
            "GET",
            "/orgs/{org}/members/archived",
            [S200, S200, S200, S403, S403, S404, SignIn],
        ),
        // An empty selection.
        (
            "POST",
            "/orgs/{org}/members/revoke",
            [S422, S422, S422, S403, S403, S404, SignIn],
        ),
        (
            "GET",
            "/orgs/{org}/members/{member}/revoke",
            [S200, S200, S200, S404, S404, S404, SignIn],
        ),
        // Bob, a member, is revoked (his contacts, none, stay unassigned).
        (
            "POST",
            "/orgs/{org}/members/{member}/revoke",
            [S303, S303, S303, S404, S404, S404, SignIn],
        ),
        // Bob is active: there is nothing to restore, and he must be revoked
        // before he can be deleted.
        (
            "POST",
            "/orgs/{org}/members/{member}/restore",
            [S409, S409, S409, S404, S404, S404, SignIn],
        ),
        (
            "GET",
            "/orgs/{org}/members/{member}/delete",
            [S409, S409, S409, S404, S404, S404, SignIn],
        ),
        (
            "POST",
            "/orgs/{org}/members/{member}/delete",
            [S409, S409, S409, S404, S404, S404, SignIn],
        ),
        // Any member reports their own presence; an empty heartbeat is refused in place.
        (
            "POST",
            "/orgs/{org}/presence",
            [S422, S422, S422, S422, S422, S404, SignIn],
        ),
        // Any member may listen (those without members.view hear only themselves).
        ("GET", "/orgs/{org}/presence/stream", member_page),
    ]
}

/// API routes: (method, path, expected [without a token, with a token of the
/// organization holding every scope, with another organization's token]).
fn api_table() -> Vec<(&'static str, &'static str, [u16; 3])> {
    vec![
        ("GET", "/api/v1/openapi.json", [200, 200, 200]),
        ("GET", "/api/v1/problems/{slug}", [200, 200, 200]),
        // Another organization's token lists its own organization.
        ("GET", "/api/v1/members", [401, 200, 200]),
        ("GET", "/api/v1/members/{member}", [401, 200, 404]),
        // An empty change changes nothing.
        ("PATCH", "/api/v1/members/{member}", [401, 200, 404]),
        // Bob is revoked, his walk contact unassigned; another organization's
        // token finds no Bob.
        ("POST", "/api/v1/members/{member}/revoke", [401, 200, 404]),
        // Bob is active: there is nothing to restore.
        ("POST", "/api/v1/members/{member}/restore", [401, 409, 404]),
        // `{}` is no call: refused before the workflow ID is looked up, so the
        // answer says nothing of whose it is.
        (
            "POST",
            "/api/v1/workflows/{workflow_id}/calls",
            [401, 400, 400],
        ),
        ("GET", "/api/v1/teams", [401, 200, 200]),
        // An empty body lacks the required fields: refused before anything is looked up.
        ("POST", "/api/v1/teams", [401, 400, 400]),
        ("GET", "/api/v1/teams/{team}", [401, 200, 404]),
        ("PATCH", "/api/v1/teams/{team}", [401, 200, 404]),
        ("POST", "/api/v1/teams/{team}/members", [401, 400, 400]),
        (
            "DELETE",
            "/api/v1/teams/{team}/members/{member}",
            [401, 204, 404],
        ),
        ("GET", "/api/v1/teams/{team}/groups", [401, 200, 404]),
        ("POST", "/api/v1/teams/{team}/groups", [401, 400, 400]),
        ("GET", "/api/v1/teams/{team}/services", [401, 200, 404]),
        ("POST", "/api/v1/teams/{team}/services", [401, 400, 400]),
        // The walk's group already provides the walk's service: as on the page, a conflict.
        (
            "PUT",
            "/api/v1/teams/{team}/groups/{group}/services/{service}",
            [401, 409, 404],
        ),
        (
            "DELETE",
            "/api/v1/teams/{team}/groups/{group}/services/{service}",
            [401, 204, 404],
        ),
        ("GET", "/api/v1/invitations", [401, 200, 200]),
        ("POST", "/api/v1/invitations", [401, 400, 400]),
        ("POST", "/api/v1/invitations/bulk", [401, 400, 400]),
        // Bob is active: there is no open invitation to resend or revoke.
        (
            "POST",
            "/api/v1/invitations/{member}/resend",
            [401, 404, 404],
        ),
        ("DELETE", "/api/v1/invitations/{member}", [401, 404, 404]),
    ]
}

/// Every route the application serves (`web::route_table`, the JSON API's
/// under /api/v1 included), except the bench-only ones.
fn served_routes() -> BTreeSet<(String, String)> {
    roster::web::route_table()
        .into_iter()
        .filter(|route| !route.path.starts_with("/bench/"))
        .map(|route| (route.method.to_owned(), route.path))
        .collect()
}

#[test]
fn every_route_in_the_source_has_an_entry_in_the_walk() {
    let source = served_routes();
    let table: BTreeSet<(String, String)> = table()
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .chain(
            api_table()
                .iter()
                .map(|(m, p, _)| (m.to_string(), p.to_string())),
        )
        .collect();
    let missing: Vec<_> = source.difference(&table).collect();
    let stale: Vec<_> = table.difference(&source).collect();
    assert!(
        missing.is_empty(),
        "routes without an entry in the route walk: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "entries for routes that no longer exist: {stale:?}"
    );
    assert!(
        source.len() >= 30,
        "the route table lists only {} routes",
        source.len()
    );
}

struct World {
    org: i64,
    bob: i64,
    clients: Vec<Option<(TestClient, &'static str)>>,
}

const EMAILS: [&str; 6] = [
    "ada@example.com",
    "admin@example.com",
    "manager@example.com",
    "tm@example.com",
    "agent@example.com",
    "out@example.com",
];

async fn build_world(app: &TestApp) -> World {
    let org = app.setup_owner().await;
    app.add_member(org, "admin@example.com", "Ann Admin", "admin")
        .await;
    app.add_member(org, "manager@example.com", "Mo Manager", "manager")
        .await;
    app.add_member(org, "tm@example.com", "Tia Teamlead", "member")
        .await;
    app.add_member(org, "agent@example.com", "Al Agent", "member")
        .await;
    app.add_member(org, "bob@example.com", "Bob Target", "member")
        .await;
    let other = app
        .query(|conn| {
            roster::db::organizations::insert(conn, "Elsewhere")
                .unwrap()
                .id
                .0
        })
        .await;
    app.add_member(other, "out@example.com", "Otto Outsider", "owner")
        .await;
    let bob = app
        .count("SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'bob@example.com'")
        .await;
    let mut clients = Vec::new();
    for email in EMAILS {
        clients.push(Some((app.signed_in_client(email, PASSWORD).await, email)));
    }
    clients.push(None);
    World { org, bob, clients }
}

/// Puts back whatever the previous request changed, so every request meets the same world.
async fn reset_world(app: &TestApp, org: i64) {
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            r#"
            UPDATE organizations SET name = 'Acme', plan = 'free', seats_purchased = 20, audit_retention_days = NULL WHERE id = {org};
            UPDATE memberships m SET role = CASE a.email WHEN 'ada@example.com' THEN 'owner' WHEN 'admin@example.com' THEN 'admin'
                   WHEN 'manager@example.com' THEN 'manager' ELSE 'member' END,
                   status = 'active', custom_role_id = NULL, permissions = NULL
              FROM accounts a WHERE a.id = m.account_id AND m.organization_id = {org};
            INSERT INTO teams (id, organization_id, name, workflow_id) VALUES (101, {org}, 'Walk team', 'wf_walk')
              ON CONFLICT (id) DO UPDATE SET name = 'Walk team', archived_at = NULL, workflow_id = 'wf_walk';
            INSERT INTO groups (id, organization_id, team_id, name) VALUES (201, {org}, 101, 'Walk group')
              ON CONFLICT (id) DO UPDATE SET name = 'Walk group';
            INSERT INTO services (id, organization_id, team_id, name) VALUES (301, {org}, 101, 'Walk service')
              ON CONFLICT (id) DO UPDATE SET name = 'Walk service', active = true;
            INSERT INTO custom_roles (id, organization_id, scope, name, permissions) VALUES (401, {org}, 'org', 'Walk role', '{{members.view}}')
              ON CONFLICT (id) DO UPDATE SET name = 'Walk role', permissions = '{{members.view}}';
            INSERT INTO team_memberships (organization_id, team_id, membership_id, role)
              SELECT {org}, 101, m.id, CASE a.email WHEN 'tm@example.com' THEN 'team_manager' ELSE 'agent' END
              FROM memberships m JOIN accounts a ON a.id = m.account_id
              WHERE m.organization_id = {org} AND a.email IN ('tm@example.com', 'agent@example.com', 'bob@example.com')
              ON CONFLICT (team_id, membership_id) DO UPDATE SET role = EXCLUDED.role, custom_role_id = NULL, permissions = NULL;
            INSERT INTO group_members (group_id, team_membership_id)
              SELECT 201, tm.id FROM team_memberships tm JOIN memberships m ON m.id = tm.membership_id
              JOIN accounts a ON a.id = m.account_id WHERE tm.team_id = 101 AND a.email = 'bob@example.com'
              ON CONFLICT DO NOTHING;
            INSERT INTO group_services (group_id, service_id) VALUES (201, 301) ON CONFLICT DO NOTHING;
            INSERT INTO contacts (id, organization_id, team_id, name, assignee_membership_id)
              SELECT 501, {org}, 101, 'Walk contact', m.id FROM memberships m JOIN accounts a ON a.id = m.account_id
              WHERE m.organization_id = {org} AND a.email = 'bob@example.com'
              ON CONFLICT (id) DO UPDATE SET name = 'Walk contact', email = '', phone = '', note = '',
                assignee_membership_id = EXCLUDED.assignee_membership_id;
            INSERT INTO api_tokens (id, organization_id, name, token_hash, scopes, role, created_by_account_id)
              SELECT 501, {org}, 'Walk token', sha256('walk'::bytea), '{{members.view}}', 'owner', a.id
              FROM accounts a WHERE a.email = 'ada@example.com'
              ON CONFLICT (id) DO UPDATE SET revoked_at = NULL;
            DELETE FROM rate_limits;
            DELETE FROM membership_archives;
            "#
        ))
        .unwrap();
    })
    .await;
}

fn concrete(path: &str, world: &World, asset: &str, bob_in_team: i64) -> String {
    // In group routes `{member}` is a team membership; elsewhere an org membership.
    let path = if path.contains("/groups/") {
        path.replace("{member}", &bob_in_team.to_string())
    } else {
        path.to_owned()
    };
    path.replace("{org}", &world.org.to_string())
        .replace("{team}", "101")
        .replace("{group}", "201")
        .replace("{service}", "301")
        .replace("{role}", "401")
        .replace("{contact}", "501")
        .replace("{token}", "501")
        .replace("{member}", &world.bob.to_string())
        .replace("{feature}", "groups")
        .replace("{id}", "999999")
        .replace("{hash}/{path:.*}", asset)
}

#[tokio::test]
async fn every_route_answers_every_kind_of_visitor_as_the_policy_says() {
    let app = spawn_app().await;
    let mut world = build_world(&app).await;
    let anonymous = TestClient::new(&app.address);
    let (_, page) = anonymous.page("/signin").await;
    let start = page.find("/static/").unwrap() + "/static/".len();
    let asset = page[start..].split('"').next().unwrap().to_owned();
    let mut failures = Vec::new();
    for (method, path, wants) in table() {
        for (i, want) in wants.iter().enumerate() {
            reset_world(&app, world.org).await;
            let bob_in_team = app
                .count(&format!(
                    "SELECT id FROM team_memberships WHERE team_id = 101 AND membership_id = {}",
                    world.bob
                ))
                .await;
            let url = concrete(path, &world, &asset, bob_in_team);
            // Requests like sign-out end sessions: sign back in before each visit.
            if let Some((client, email)) = &world.clients[i] {
                if client.get("/profile").await.status() != StatusCode::OK {
                    world.clients[i] = Some((app.signed_in_client(email, PASSWORD).await, email));
                }
            }
            let client = world.clients[i]
                .as_ref()
                .map(|(c, _)| c)
                .unwrap_or(&anonymous);
            // The anonymous visitor's session may have been purged by the last request.
            client.forget_csrf();
            let res = match method {
                "GET" => client.get(&url).await,
                _ => client.post_form(&url, &[]).await,
            };
            let got =
                if res.status() == StatusCode::SEE_OTHER && location(&res).starts_with("/signin") {
                    SignIn
                } else {
                    Status(res.status().as_u16())
                };
            if got != *want {
                failures.push(format!(
                    "{method} {path} as {}: got {got:?}, want {want:?}",
                    ACTORS[i]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} unexpected answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Turns on the API for an organization and gives it a token with `scopes`; its secret.
async fn api_token(app: &TestApp, org: i64, owner: &str, scopes: &[&str]) -> String {
    let secret = roster::domain::api_tokens::TokenSecret::generate();
    let (hash, owner, scopes) = (
        secret.hash(),
        owner.to_owned(),
        scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "UPDATE organizations SET plan = 'pro' WHERE id = {org};
             INSERT INTO organization_features (organization_id, feature, enabled)
             VALUES ({org}, 'api_access', true), ({org}, 'user_management', true)
             ON CONFLICT (organization_id, feature) DO UPDATE SET enabled = true;"
        ))
        .unwrap();
        let creator = roster::db::accounts::find_by_email(conn, &owner)
            .unwrap()
            .unwrap()
            .id;
        roster::db::api_tokens::insert(
            conn,
            roster::db::api_tokens::NewToken {
                org: roster::domain::OrgId(org),
                name: "walk",
                hash: &hash,
                scopes,
                role: "owner",
                creator,
                expires_at: None,
            },
        )
        .unwrap();
    })
    .await;
    secret.expose().to_owned()
}

#[tokio::test]
async fn every_api_route_answers_with_a_token_and_without() {
    let app = spawn_app().await;
    let world = build_world(&app).await;
    let every: Vec<&str> = roster::domain::Permission::ALL
        .iter()
        .map(|p| p.key())
        .collect();
    let ours = api_token(&app, world.org, "ada@example.com", &every).await;
    let other = app
        .count("SELECT organization_id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'out@example.com'")
        .await;
    let theirs = api_token(&app, other, "out@example.com", &every).await;
    let http = reqwest::Client::new();
    let mut failures = Vec::new();
    for (method, path, wants) in api_table() {
        for (token, want) in [None, Some(&ours), Some(&theirs)].into_iter().zip(wants) {
            reset_world(&app, world.org).await;
            // `reset_world` puts the plan back to free; the API needs Pro.
            let org = world.org;
            app.query(move |conn| {
                use diesel::connection::SimpleConnection;
                conn.batch_execute(&format!(
                    "UPDATE organizations SET plan = 'pro' WHERE id = {org}"
                ))
                .unwrap();
            })
            .await;
            let url = format!(
                "{}{}",
                app.address,
                path.replace("{member}", &world.bob.to_string())
                    .replace("{team}", "101")
                    .replace("{group}", "201")
                    .replace("{service}", "301")
                    .replace("{slug}", "not-found")
                    .replace("{workflow_id}", "wf_walk")
            );
            let mut req = http.request(method.parse().unwrap(), &url);
            if method != "GET" {
                req = req.json(&serde_json::json!({}));
            }
            if let Some(token) = token {
                req = req.bearer_auth(token);
            }
            let got = req.send().await.unwrap().status().as_u16();
            if got != want {
                failures.push(format!(
                    "{method} {path} {}: got {got}, want {want}",
                    match token {
                        None => "without a token",
                        Some(t) if t == &ours => "with the organization's token",
                        Some(_) => "with another organization's token",
                    }
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} unexpected answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
