//! Who sees and changes which contacts (from the permission catalogue, asked
//! through the policy), the switched-off module and the archived team.

use reqwest::StatusCode;

use super::*;

/// Three contacts: one for Agnes (an Agent), one for Bert, one unassigned.
async fn three(c: &Cast) -> (i64, i64, [i64; 3]) {
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    let bert = c.member("bert@example.com", "Bert Agent", "agent").await;
    let mine = c.create("Agnes Customer").await;
    let his = c.create("Bert Customer").await;
    let nobody = c.create("Nobody Customer").await;
    for (contact, member) in [(mine, agnes), (his, bert)] {
        let res = c
            .tim
            .post_form(
                &format!("{}/assign", c.contact(contact)),
                &[("assignee", &member.to_string())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    (agnes, bert, [mine, his, nobody])
}

#[tokio::test]
async fn an_agent_sees_and_works_only_the_contacts_assigned_to_them() {
    let c = Cast::new().await;
    let (_, _, [mine, his, nobody]) = three(&c).await;
    let agnes = c.client("agnes@example.com").await;

    let (status, page) = agnes.page(&c.contacts()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("The contacts assigned to you in this team."));
    assert_eq!(row_ids(&page), vec![mine.to_string()]);
    assert!(!page.contains("id=\"contact-create\"") && !page.contains("contacts-bulk"));
    assert!(!page.contains("f-assignee"), "no filter by someone else");
    // Asking for the unassigned or Bert's still shows only hers.
    let (_, page) = agnes.page(&format!("{}?assignee=none", c.contacts())).await;
    assert_eq!(row_ids(&page), vec![mine.to_string()]);

    // Her own: she edits its details.
    let (status, _) = agnes.page(&format!("{}/edit", c.contact(mine))).await;
    assert_eq!(status, StatusCode::OK);
    let res = agnes
        .post_form(
            &c.contact(mine),
            &[("name", "Agnes Customer"), ("note", "Called.")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Others' do not exist for her.
    for other in [his, nobody] {
        let (status, _) = agnes.page(&format!("{}/edit", c.contact(other))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let res = agnes
            .post_form(&c.contact(other), &[("name", "Mine now")])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    // Adding, deleting and assigning are the managers'.
    let refused = [
        (
            c.contacts(),
            vec![("name", "New")],
            "add or delete contacts",
        ),
        (
            format!("{}/delete", c.contact(mine)),
            vec![],
            "add or delete contacts",
        ),
        (
            format!("{}/assign", c.contact(mine)),
            vec![("assignee", "")],
            "assign contacts",
        ),
        (
            format!("{}/bulk", c.contacts()),
            vec![("ids", "1"), ("action", "unassign")],
            "assign contacts",
        ),
    ];
    for (path, fields, reason) in refused {
        let res = agnes.post_form(&path, &fields).await;
        expect(res, StatusCode::FORBIDDEN, reason).await;
    }
    assert_eq!(c.count().await, 3);
    assert_eq!(audits(&c.app, "contact.updated").await, 1);
}

#[tokio::test]
async fn a_supervisor_sees_every_contact_and_filters_them_but_changes_none() {
    let c = Cast::new().await;
    let (agnes, _, [mine, his, nobody]) = three(&c).await;
    c.member("sue@example.com", "Sue Supervisor", "supervisor")
        .await;
    let sue = c.client("sue@example.com").await;

    let (_, page) = sue.page(&c.contacts()).await;
    assert_eq!(row_ids(&page).len(), 3);
    assert!(page.contains("can add or delete contacts. You can still see all of the team"));
    assert!(page.contains("f-assignee") && !page.contains("id=\"contact-create\""));
    assert!(!page.contains("class=\"pencil\""), "nothing to edit");
    let (_, page) = sue.page(&format!("{}?assignee=none", c.contacts())).await;
    assert_eq!(row_ids(&page), vec![nobody.to_string()]);
    let (_, page) = sue
        .page(&format!("{}?assignee={agnes}", c.contacts()))
        .await;
    assert_eq!(row_ids(&page), vec![mine.to_string()]);

    let (status, _) = sue.page(&format!("{}/edit", c.contact(his))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = sue.post_form(&c.contact(his), &[("name", "")]).await;
    expect(
        res,
        StatusCode::FORBIDDEN,
        "You can edit only the contacts assigned to you.",
    )
    .await;
    let res = sue.post_form(&c.contact(his), &[("name", "Changed")]).await;
    expect(
        res,
        StatusCode::FORBIDDEN,
        "You can edit only the contacts assigned to you.",
    )
    .await;
    let res = sue.post_form(&c.contacts(), &[("name", "New")]).await;
    expect(res, StatusCode::FORBIDDEN, "add or delete contacts").await;
    assert_eq!(c.count().await, 3);
}

#[tokio::test]
async fn org_wide_managers_see_and_change_every_team_s_contacts() {
    let c = Cast::new().await;
    let (_, _, [mine, his, nobody]) = three(&c).await;
    c.app
        .add_member(c.org, "mo@example.com", "Mo Manager", "manager")
        .await;
    let mo = c.client("mo@example.com").await;
    let (status, page) = mo.page(&c.contacts()).await;
    assert_eq!(status, StatusCode::OK);
    let mut ids = row_ids(&page);
    ids.sort();
    let mut all = vec![mine.to_string(), his.to_string(), nobody.to_string()];
    all.sort();
    assert_eq!(ids, all);
    let res = mo.post_form(&c.contacts(), &[("name", "From Mo")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Ada, the Owner, too.
    let (_, page) = c.app.client.page(&c.contacts()).await;
    assert_eq!(row_ids(&page).len(), 4);
}

#[tokio::test]
async fn switched_off_contacts_hide_the_tab_and_every_route_says_so() {
    let c = Cast::new().await;
    let kim = c.create("Kim Lee").await;
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    let res = c
        .app
        .client
        .post_form(
            &format!("/orgs/{}/settings/features/contacts", c.org),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let off = "Contacts are switched off for this organization (Settings → Features).";

    let (_, members_tab) = c
        .tim
        .page(&format!("/orgs/{}/teams/{}", c.org, c.team))
        .await;
    assert!(members_tab.contains(">Groups</a>") && !members_tab.contains(">Contacts</a>"));
    let (status, page) = c.tim.page(&c.contacts()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Contacts are switched off") && !page.contains("Kim Lee"));
    assert!(
        !page.contains(">Contacts</a>"),
        "the tab is hidden here too"
    );

    for path in [
        c.contact(kim),
        format!("{}/edit", c.contact(kim)),
        format!("{}/delete", c.contact(kim)),
    ] {
        let res = c.tim.get(&path).await;
        expect(res, StatusCode::FORBIDDEN, off).await;
    }
    let posts: Vec<(String, Vec<(&str, String)>)> = vec![
        (c.contacts(), vec![("name", "New".into())]),
        (c.contacts(), vec![("name", "".into())]),
        (c.contact(kim), vec![("name", "Renamed".into())]),
        (format!("{}/delete", c.contact(kim)), vec![]),
        (
            format!("{}/assign", c.contact(kim)),
            vec![("assignee", agnes.to_string())],
        ),
        (
            format!("{}/bulk", c.contacts()),
            vec![("ids", kim.to_string()), ("action", "unassign".into())],
        ),
    ];
    for (path, fields) in posts {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = c.tim.post_form(&path, &fields).await;
        expect(res, StatusCode::FORBIDDEN, off).await;
    }
    assert_eq!(c.count().await, 1);
    assert_eq!(c.assignee_of(kim).await, 0);

    // Back on, everything is where it was.
    c.app
        .client
        .post_form(
            &format!("/orgs/{}/settings/features/contacts", c.org),
            &[("enabled", "true")],
        )
        .await;
    let (status, page) = c.tim.page(&c.contacts()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Kim Lee"));
}

#[tokio::test]
async fn an_archived_team_s_contacts_are_read_only() {
    let c = Cast::new().await;
    let kim = c.create("Kim Lee").await;
    exec(
        &c.app,
        format!("UPDATE teams SET archived_at = now() WHERE id = {}", c.team),
    )
    .await;
    let archived = "This team is archived; unarchive it to make changes.";
    let (status, page) = c.tim.page(&c.contacts()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Kim Lee") && page.contains("Its contacts are read-only."));
    assert!(!page.contains("id=\"contact-create\"") && !page.contains("class=\"pencil\""));
    assert!(!page.contains("contacts-bulk") && !page.contains("assign-open"));

    for form in ["edit", "assign"] {
        let (status, _) = c.tim.page(&format!("{}/{form}", c.contact(kim))).await;
        assert_eq!(status, StatusCode::CONFLICT, "{form}");
    }
    for (path, fields) in [
        (c.contacts(), vec![("name", "New")]),
        (c.contact(kim), vec![("name", "Renamed")]),
        (format!("{}/delete", c.contact(kim)), vec![]),
        (format!("{}/assign", c.contact(kim)), vec![("assignee", "")]),
        (
            format!("{}/bulk", c.contacts()),
            vec![("ids", "1"), ("action", "unassign")],
        ),
    ] {
        let res = c.tim.post_form(&path, &fields).await;
        expect(res, StatusCode::CONFLICT, archived).await;
    }
    assert_eq!(
        c.app
            .count(&format!(
                "SELECT count(*) FROM contacts WHERE id = {kim} AND name = 'Kim Lee'"
            ))
            .await,
        1
    );
}

#[tokio::test]
async fn a_change_without_the_session_s_csrf_token_is_refused_and_changes_nothing() {
    let c = Cast::new().await;
    let kim = c.create("Kim Lee").await;
    let forged = [
        (c.contacts(), vec![("name", "Forged")]),
        (c.contact(kim), vec![("name", "Forged")]),
        (format!("{}/delete", c.contact(kim)), vec![]),
        (format!("{}/assign", c.contact(kim)), vec![("assignee", "")]),
        (
            format!("{}/bulk", c.contacts()),
            vec![("ids", "1"), ("action", "unassign")],
        ),
    ];
    for (path, mut fields) in forged {
        fields.push(("csrf_token", "not-the-token"));
        let res = c
            .tim
            .http
            .post(c.tim.url(&path))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(c.count().await, 1);
    assert_eq!(
        c.app
            .count(&format!(
                "SELECT count(*) FROM contacts WHERE id = {kim} AND name = 'Kim Lee'"
            ))
            .await,
        1
    );
}
