//! The audit log (Settings → Audit log): its pages and filters (`log`), the
//! CSV export (`export`), retention and its purge (`retention`); a member's
//! page and timeline (`member_page`); the profile's security activity
//! (`security`).

mod export;
mod log;
mod member_page;
mod retention;
mod security;

use crate::helpers::TestApp;

/// Runs SQL on the test database (seeding events at chosen times).
pub async fn exec(app: &TestApp, sql: String) {
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&sql).unwrap();
    })
    .await;
}

/// `n` events in `org` by the account of `actor_email`, about `member` (a
/// membership id), one an hour going back from now, of `action`.
pub async fn seed_events(
    app: &TestApp,
    org: i64,
    actor_email: &str,
    member: i64,
    action: &str,
    n: i64,
) {
    exec(
        app,
        format!(
            "INSERT INTO audit_events (organization_id, actor_account_id, action, target_type, target_id, before, after, created_at)
             SELECT {org}, (SELECT id FROM accounts WHERE email = '{actor_email}'), '{action}', 'membership', '{member}',
                    '{{\"role\": \"member\"}}', jsonb_build_object('role', 'manager', 'n', g), now() - g * interval '1 hour'
             FROM generate_series(1, {n}) g"
        ),
    )
    .await;
}

/// Another organization, "Elsewhere", with Stan as its Owner: (org, Stan's membership).
pub async fn elsewhere(app: &TestApp) -> (i64, i64) {
    let other = app
        .query(|conn| {
            roster::db::organizations::insert(conn, "Elsewhere")
                .unwrap()
                .id
                .0
        })
        .await;
    let stan = crate::members::join(app, other, "stranger@example.com", "Stranger", "owner").await;
    (other, stan)
}

/// The ids of the events a page lists, in order.
pub fn event_ids(body: &str) -> Vec<i64> {
    body.split("<tr class=\"audit-event\" id=\"event-")
        .skip(1)
        .filter_map(|rest| rest.split_once('"')?.0.parse().ok())
        .collect()
}

/// The query string of a pager link (`rel` = prev or next), if the page has one.
pub fn pager(body: &str, rel: &str) -> Option<String> {
    let marker = format!("rel=\"{rel}\" href=\"");
    let start = body.find(&marker)? + marker.len();
    let href = &body[start..start + body[start..].find('"')?];
    let href = href.replace("&#38;", "&").replace("&amp;", "&");
    Some(href.split_once('?')?.1.split('#').next()?.to_owned())
}
