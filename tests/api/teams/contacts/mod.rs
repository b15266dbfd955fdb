//! A team's Contacts tab: creating, editing and deleting contacts (`crud`),
//! assigning them one by one and in bulk (`assign`), who sees and changes what
//! (`access`), the pages and filters (`paging`) and what a page costs (`cost`).
//! The cast the tests start from lives here.

mod access;
mod assign;
mod cost;
mod crud;
mod menus;
mod paging;
mod search;

use reqwest::StatusCode;

use crate::helpers::{location, spawn_app, TestApp, TestClient, PASSWORD};
use crate::html::Page;
pub use crate::teams::groups::scene::{
    audits, exec, expect, join_team, returning_id, set_status, team,
};

/// Acme with Ada as Owner (`app.client`), a "Support" team, and Tim, a plain
/// member who is its Team manager, signed in.
pub struct Cast {
    pub app: TestApp,
    pub org: i64,
    pub team: i64,
    pub tim: TestClient,
}

impl Cast {
    /// The groups tests' scene is the same cast.
    pub async fn new() -> Self {
        let s = crate::teams::groups::scene::Scene::new().await;
        Self {
            app: s.app,
            org: s.org,
            team: s.team,
            tim: s.tim,
        }
    }

    pub fn contacts(&self) -> String {
        format!("/orgs/{}/teams/{}/contacts", self.org, self.team)
    }

    pub fn contact(&self, id: i64) -> String {
        format!("{}/{id}", self.contacts())
    }

    /// A new active org member in the team with `role`: their org membership id.
    pub async fn member(&self, email: &str, name: &str, role: &str) -> i64 {
        let account = self.app.add_member(self.org, email, name, "member").await;
        join_team(&self.app, self.org, self.team, account, role).await;
        membership_of(&self.app, self.org, account).await
    }

    /// Signs in one of the cast.
    pub async fn client(&self, email: &str) -> TestClient {
        self.app.signed_in_client(email, PASSWORD).await
    }

    /// Tim adds a contact without JavaScript; its id.
    pub async fn create(&self, name: &str) -> i64 {
        let res = self
            .tim
            .post_form(
                &self.contacts(),
                &[("name", name), ("email", ""), ("phone", "")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "contact {name} added");
        assert_eq!(location(&res), self.contacts());
        self.contact_id(name).await
    }

    pub async fn contact_id(&self, name: &str) -> i64 {
        returning_id(
            &self.app,
            format!(
                "SELECT id FROM contacts WHERE team_id = {} AND name = '{name}'",
                self.team
            ),
        )
        .await
    }

    /// `n` contacts named `<prefix> 001`… in the team, straight into the table.
    pub async fn insert_many(&self, n: i64, prefix: &str, assignee: Option<i64>) {
        let assignee = assignee.map_or("NULL".to_owned(), |a| a.to_string());
        exec(
            &self.app,
            format!(
                "INSERT INTO contacts (organization_id, team_id, name, assignee_membership_id) \
                 SELECT {}, {}, '{prefix} ' || lpad(g::text, 3, '0'), {assignee} \
                 FROM generate_series(1, {n}) g",
                self.org, self.team
            ),
        )
        .await;
    }

    /// Who the contact is assigned to (0 for nobody).
    pub async fn assignee_of(&self, contact: i64) -> i64 {
        self.app
            .count(&format!(
                "SELECT coalesce(assignee_membership_id, 0) FROM contacts WHERE id = {contact}"
            ))
            .await
    }

    pub async fn count(&self) -> i64 {
        self.app
            .count(&format!(
                "SELECT count(*) FROM contacts WHERE team_id = {}",
                self.team
            ))
            .await
    }
}

pub async fn membership_of(app: &TestApp, org: i64, account: i64) -> i64 {
    app.count(&format!(
        "SELECT id FROM memberships WHERE organization_id = {org} AND account_id = {account}"
    ))
    .await
}

/// The contact ids of a page's rows, in order.
pub fn row_ids(body: &str) -> Vec<String> {
    Page::parse(body)
        .attrs("tr[id^=contact-]", "id")
        .into_iter()
        .filter_map(|id| id.strip_prefix("contact-").map(str::to_owned))
        .collect()
}

/// The query string of a page's Previous or Next link (`rel`), if it has one.
pub fn pager_link(body: &str, rel: &str) -> Option<String> {
    let href = Page::parse(body).attr(&format!("a[rel={rel}]"), "href")?;
    Some(href.split_once('?').map_or("", |(_, q)| q).to_owned())
}

#[tokio::test]
async fn the_demo_organization_has_contacts_in_every_team_some_unassigned() {
    let app = spawn_app().await;
    let org = app
        .query(|conn| roster::services::demo::seed_demo(conn, 60).unwrap().0)
        .await;
    let per_team = format!(
        "SELECT count(*) FROM (SELECT team_id FROM contacts WHERE organization_id = {org} \
         GROUP BY team_id HAVING count(*) = 40) t"
    );
    assert_eq!(
        app.count(&per_team).await,
        5,
        "40 contacts in each of 5 teams"
    );
    let unassigned = app
        .count(&format!(
            "SELECT count(*) FROM contacts WHERE organization_id = {org} AND assignee_membership_id IS NULL"
        ))
        .await;
    assert_eq!(unassigned, 50, "one in four unassigned");
    // Everyone assigned is an active member of the contact's team.
    let misplaced = app
        .count(&format!(
            "SELECT count(*) FROM contacts c WHERE c.organization_id = {org} AND c.assignee_membership_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM team_memberships tm JOIN memberships m ON m.id = tm.membership_id \
             WHERE tm.team_id = c.team_id AND m.id = c.assignee_membership_id AND m.status = 'active')"
        ))
        .await;
    assert_eq!(misplaced, 0);
}
