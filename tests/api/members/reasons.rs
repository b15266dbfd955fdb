//! The inline editor's disabled controls: each one's reason is shown in the
//! form and tied to it with `aria-describedby` (unique ids), so a screen
//! reader reads why, not only that, a box cannot be ticked.

use std::collections::HashSet;

use super::*;

/// The value of attribute `name` in the tag `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(&tag[start..start + tag[start..].find('"')?])
}

/// Checks every disabled control of `form` (HTML): it names, through
/// `aria-describedby`, an element of the form that says something; ids are
/// unique. Returns the reasons the disabled controls point at.
fn assert_reasons_are_tied(form: &str) -> HashSet<String> {
    let ids: Vec<&str> = form
        .split(" id=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    let unique: HashSet<&str> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate ids: {ids:?}");
    let mut reasons = HashSet::new();
    for tag in form.split('<').filter(|t| {
        (t.starts_with("input ") || t.starts_with("select "))
            && t[..t.find('>').unwrap()].contains(" disabled")
    }) {
        let tag = &tag[..tag.find('>').unwrap()];
        let id = attr(tag, "aria-describedby").unwrap_or_else(|| panic!("no reason for <{tag}>"));
        let element = form
            .find(&format!(" id=\"{id}\""))
            .unwrap_or_else(|| panic!("<{tag}> points at a missing #{id}"));
        let text = &form[element..];
        let text = &text[text.find('>').unwrap() + 1..text.find("</").unwrap()];
        assert!(!text.trim().is_empty(), "#{id} says nothing");
        reasons.insert(text.trim().to_owned());
    }
    reasons
}

#[tokio::test]
async fn an_admins_disabled_permission_boxes_point_at_the_reason_shown_beneath_them() {
    let (_app, org, bob, admin) = owner_admin_and_bob().await;

    let res = admin
        .htmx_get(&format!("/orgs/{org}/members/{bob}/edit"))
        .await;
    let form = res.text().await.unwrap();

    assert!(form.contains("disabled aria-describedby="), "{form}");
    let reasons = assert_reasons_are_tied(&form);
    assert!(reasons.contains("You cannot grant permissions you do not hold yourself."));
    // Shown once, not once per box.
    assert_eq!(
        form.matches(">You cannot grant permissions you do not hold yourself.<")
            .count(),
        1
    );
}

#[tokio::test]
async fn group_boxes_point_at_their_teams_reason_or_at_the_note_under_all_groups() {
    let (app, org) = owner_with(30, 2).await;
    let bob = join(&app, org, "bob@example.com", "Bob", "member").await;
    let pending = app
        .count(&format!(
            "SELECT id FROM memberships WHERE organization_id = {org} AND status = 'pending' LIMIT 1"
        ))
        .await;

    // A team archived: its groups say why under its name, once.
    let team = first_team(&app, org).await;
    let member = app
        .count(&format!(
            "SELECT tm.membership_id FROM team_memberships tm JOIN memberships m ON m.id = tm.membership_id
             WHERE m.status = 'active' AND tm.team_id = {team} ORDER BY tm.membership_id LIMIT 1"
        ))
        .await;
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "UPDATE teams SET archived_at = now() WHERE id = {team}"
        ))
        .unwrap();
    })
    .await;
    let form = app
        .client
        .htmx_get(&format!("/orgs/{org}/members/{member}/edit"))
        .await
        .text()
        .await
        .unwrap();
    assert_reasons_are_tied(&form);
    let why = format!("groups-why-{member}-{team}");
    assert!(
        form.contains(&format!("aria-describedby=\"{why}\"")),
        "{form}"
    );
    assert_eq!(form.matches(&format!("id=\"{why}\"")).count(), 1);

    // The owner editing a pending member, groups on: the note says why.
    let pending_form = app
        .client
        .htmx_get(&format!("/orgs/{org}/members/{pending}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let reasons = assert_reasons_are_tied(&pending_form);
    assert!(pending_form.contains(&format!("aria-describedby=\"groups-note-{pending}\"")));
    assert!(reasons
        .iter()
        .any(|r| r.starts_with("Pending members can join groups")));

    // Groups switched off: every box points at the one note that says so.
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "INSERT INTO organization_features (organization_id, feature, enabled)
             VALUES ({org}, 'groups', false)
             ON CONFLICT (organization_id, feature) DO UPDATE SET enabled = false;"
        ))
        .unwrap();
    })
    .await;
    let off = app
        .client
        .htmx_get(&format!("/orgs/{org}/members/{bob}/edit"))
        .await
        .text()
        .await
        .unwrap();
    let reasons = assert_reasons_are_tied(&off);
    assert!(off.contains(&format!("aria-describedby=\"groups-note-{bob}\"")));
    assert!(
        !off.contains("groups-why-"),
        "the note is not repeated per team"
    );
    assert!(reasons
        .iter()
        .any(|r| r.starts_with("Groups are switched off")));
}
