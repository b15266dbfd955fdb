//! Assigning, unassigning and reassigning contacts, one from its row or the
//! selected rows at once, and the assignees that are refused.

use reqwest::StatusCode;

use super::*;

#[tokio::test]
async fn a_team_manager_assigns_reassigns_and_unassigns_a_contact() {
    let c = Cast::new().await;
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    let bert = c.member("bert@example.com", "Bert Agent", "agent").await;
    let kim = c.create("Kim Lee").await;
    let assign = format!("{}/assign", c.contact(kim));

    let res = c
        .tim
        .post_form(&assign, &[("assignee", &agnes.to_string())])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.assignee_of(kim).await, agnes);
    let (_, page) = c.tim.page(&c.contacts()).await;
    assert!(page.contains("Kim Lee: Assigned to Agnes Agent."));
    let cell = assignee_cell(&page, kim);
    assert!(cell.contains("Agnes Agent") && cell.contains("Reassign Kim Lee"));
    assert!(
        !cell.contains("<option"),
        "the list carries no member menu per row: {cell}"
    );

    // The row's form, asked for, opens in place with the team's members.
    let form = c.tim.htmx_get(&assign).await.text().await.unwrap();
    assert!(form.contains(&format!(
        "<option value=\"{agnes}\" selected>Agnes Agent</option>"
    )));
    assert!(form.contains(&format!("<option value=\"{bert}\">Bert Agent</option>")));
    let (status, page) = c.tim.page(&assign).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Assign the contact “Kim Lee”")
            && page.contains("Assigned to Agnes Agent now.")
    );

    // Reassign, with htmx: the row comes back with the new choice and a toast.
    let res = c
        .tim
        .htmx_post(&assign, &[("assignee", &bert.to_string())])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = res.text().await.unwrap();
    assert!(assignee_cell(&row, kim).contains("Bert Agent"));
    assert!(row.contains("Kim Lee: Assigned to Bert Agent."));
    assert_eq!(c.assignee_of(kim).await, bert);

    // The same choice again changes nothing and says so.
    let res = c
        .tim
        .htmx_post(&assign, &[("assignee", &bert.to_string())])
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Already assigned to Bert Agent; unchanged."));

    let res = c.tim.post_form(&assign, &[("assignee", "")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.assignee_of(kim).await, 0);
    assert_eq!(audits(&c.app, "contact.assigned").await, 2);
    assert_eq!(audits(&c.app, "contact.unassigned").await, 1);
    let before_after = c
        .app
        .count(&format!(
            "SELECT count(*) FROM audit_events WHERE action = 'contact.assigned' \
             AND (before->>'assignee_membership_id')::bigint = {agnes} \
             AND (after->>'assignee_membership_id')::bigint = {bert}"
        ))
        .await;
    assert_eq!(
        before_after, 1,
        "the reassignment records from whom to whom"
    );
}

#[tokio::test]
async fn pending_and_archived_members_cannot_be_assigned_contacts() {
    let c = Cast::new().await;
    let pat = c.member("pat@example.com", "Pat Pending", "agent").await;
    set_status(&c.app, c.org, account_of(&c, pat).await, "pending").await;
    let arch = c.member("arch@example.com", "Archie Ved", "agent").await;
    set_status(&c.app, c.org, account_of(&c, arch).await, "archived").await;
    let kim = c.create("Kim Lee").await;
    let assign = format!("{}/assign", c.contact(kim));

    let (_, page) = c.tim.page(&c.contacts()).await;
    assert!(page.contains(&format!(
        "<option value=\"{pat}\" disabled>pat@example.com (pending)</option>"
    )));
    assert!(
        !page.contains("Archie Ved"),
        "archived members are not offered"
    );

    let res = c
        .tim
        .post_form(&assign, &[("assignee", &pat.to_string())])
        .await;
    expect(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Pending members can be assigned contacts once they accept their invitation.",
    )
    .await;
    let res = c
        .tim
        .post_form(&assign, &[("assignee", &arch.to_string())])
        .await;
    expect(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Archived members cannot be assigned contacts.",
    )
    .await;
    // Nor when adding a contact, nor in bulk.
    let res = c
        .tim
        .post_form(
            &c.contacts(),
            &[("name", "New"), ("assignee", &pat.to_string())],
        )
        .await;
    expect(res, StatusCode::UNPROCESSABLE_ENTITY, "once they accept").await;
    let res = c
        .tim
        .post_form(
            &format!("{}/bulk", c.contacts()),
            &[
                ("ids", &kim.to_string()),
                ("action", "assign"),
                ("assignee", &pat.to_string()),
            ],
        )
        .await;
    expect(res, StatusCode::UNPROCESSABLE_ENTITY, "once they accept").await;
    assert_eq!(c.assignee_of(kim).await, 0);
    assert_eq!(c.count().await, 1);
    assert_eq!(audits(&c.app, "contact.assigned").await, 0);
}

async fn account_of(c: &Cast, membership: i64) -> i64 {
    c.app
        .count(&format!(
            "SELECT account_id FROM memberships WHERE id = {membership}"
        ))
        .await
}

#[tokio::test]
async fn another_team_s_or_organization_s_ids_are_refused_and_nothing_changes() {
    let c = Cast::new().await;
    let kim = c.create("Kim Lee").await;
    let assign = format!("{}/assign", c.contact(kim));
    // Olga is in the organization but in another team.
    let other_team = team(&c.app, c.org, "Sales").await;
    let olga = c
        .app
        .add_member(c.org, "olga@example.com", "Olga", "member")
        .await;
    join_team(&c.app, c.org, other_team, olga, "agent").await;
    let olga = membership_of(&c.app, c.org, olga).await;
    // Gus is in Globex's team.
    let globex = returning_id(
        &c.app,
        "INSERT INTO organizations (name) VALUES ('Globex') RETURNING id".into(),
    )
    .await;
    let globex_team = team(&c.app, globex, "Support").await;
    let gus = c
        .app
        .add_member(globex, "gus@example.com", "Gus", "member")
        .await;
    join_team(&c.app, globex, globex_team, gus, "agent").await;
    let gus = membership_of(&c.app, globex, gus).await;
    let foreign_contact = returning_id(
        &c.app,
        format!(
            "INSERT INTO contacts (organization_id, team_id, name) VALUES ({globex}, {globex_team}, 'Theirs') RETURNING id"
        ),
    )
    .await;
    let sales_contact = returning_id(
        &c.app,
        format!(
            "INSERT INTO contacts (organization_id, team_id, name) VALUES ({}, {other_team}, 'Sales one') RETURNING id",
            c.org
        ),
    )
    .await;

    for member in [olga, gus, 999_999] {
        let res = c
            .tim
            .post_form(&assign, &[("assignee", &member.to_string())])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "member {member}");
    }
    let res = c.tim.post_form(&assign, &[("assignee", "12abc")]).await;
    expect(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Choose a member of this team",
    )
    .await;
    // Another team's or organization's contact through this team's address.
    for contact in [foreign_contact, sales_contact] {
        for path in [
            format!("{}/edit", c.contact(contact)),
            format!("{}/delete", c.contact(contact)),
        ] {
            let (status, _) = c.tim.page(&path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        }
        let res = c
            .tim
            .post_form(&c.contact(contact), &[("name", "Mine")])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = c
            .tim
            .post_form(&format!("{}/delete", c.contact(contact)), &[])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = c
            .tim
            .post_form(
                &format!("{}/assign", c.contact(contact)),
                &[("assignee", "")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    // Globex's team through Acme's address.
    let (status, _) = c
        .tim
        .page(&format!("/orgs/{}/teams/{globex_team}/contacts", c.org))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(c.assignee_of(kim).await, 0);
    assert_eq!(
        c.app
            .count("SELECT count(*) FROM contacts WHERE name IN ('Theirs', 'Sales one')")
            .await,
        2
    );
    assert_eq!(audits(&c.app, "contact.assigned").await, 0);
}

#[tokio::test]
async fn the_selected_rows_are_assigned_and_unassigned_in_one_go_with_a_result_per_row() {
    let c = Cast::new().await;
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    let a = c.create("Ann Able").await;
    let b = c.create("Ben Baker").await;
    let d = c.create("Dee Dunn").await;
    let bulk = format!("{}/bulk", c.contacts());
    let (a_s, b_s, d_s, agnes_s) = (
        a.to_string(),
        b.to_string(),
        d.to_string(),
        agnes.to_string(),
    );

    let (_, page) = c.tim.page(&c.contacts()).await;
    assert!(page.contains("id=\"contacts-bulk\"") && page.contains("form=\"contacts-bulk\""));

    // Without JavaScript: the tab again, with what became of each row; an id
    // that is not the team's is reported, not changed.
    let res = c
        .tim
        .post_form(
            &bulk,
            &[
                ("ids", &a_s),
                ("ids", &b_s),
                ("ids", "999999"),
                ("action", "assign"),
                ("assignee", &agnes_s),
            ],
        )
        .await;
    let page = expect(res, StatusCode::OK, "2 of 3 contacts changed.").await;
    assert!(page.contains("<strong>Ann Able</strong>: Assigned to Agnes Agent."));
    assert!(page.contains("<strong>#999999</strong>: Not found."));
    assert_eq!(
        (c.assignee_of(a).await, c.assignee_of(b).await),
        (agnes, agnes)
    );
    assert_eq!(c.assignee_of(d).await, 0);
    assert_eq!(audits(&c.app, "contact.assigned").await, 2);

    // With htmx: the list section with the result.
    let res = c
        .tim
        .htmx_post(
            &bulk,
            &[("ids", &a_s), ("ids", &d_s), ("action", "unassign")],
        )
        .await;
    let section = expect(res, StatusCode::OK, "1 of 2 contacts changed.").await;
    assert!(section.starts_with("<section id=\"contacts\""));
    assert!(section.contains("<strong>Dee Dunn</strong>: Already unassigned; unchanged."));
    assert_eq!((c.assignee_of(a).await, c.assignee_of(b).await), (0, agnes));
    assert_eq!(audits(&c.app, "contact.unassigned").await, 1);

    // Nothing selected, too many, no member chosen: refused, nothing changed.
    let res = c.tim.post_form(&bulk, &[("action", "unassign")]).await;
    expect(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Select at least one contact.",
    )
    .await;
    let many: Vec<String> = (1..=51).map(|i| i.to_string()).collect();
    let mut fields: Vec<(&str, &str)> = many.iter().map(|id| ("ids", id.as_str())).collect();
    fields.push(("action", "unassign"));
    let res = c.tim.post_form(&bulk, &fields).await;
    expect(res, StatusCode::UNPROCESSABLE_ENTITY, "at most 50 contacts").await;
    let res = c
        .tim
        .post_form(
            &bulk,
            &[("ids", &d_s), ("action", "assign"), ("assignee", "")],
        )
        .await;
    expect(res, StatusCode::UNPROCESSABLE_ENTITY, "Choose the member").await;
    assert_eq!(c.assignee_of(b).await, agnes);
}

#[tokio::test]
async fn a_contact_can_be_assigned_as_it_is_added() {
    let c = Cast::new().await;
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    let res = c
        .tim
        .post_form(
            &c.contacts(),
            &[("name", "Kim Lee"), ("assignee", &agnes.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let kim = c.contact_id("Kim Lee").await;
    assert_eq!(c.assignee_of(kim).await, agnes);
}

#[tokio::test]
async fn an_assignment_waits_for_an_archive_of_its_assignee_and_then_refuses() {
    let c = Cast::new().await;
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    let kim = c.create("Kim Lee").await;
    // Another transaction archives Agnes and holds its lock a moment.
    let (locked_tx, locked) = tokio::sync::oneshot::channel();
    let pool = c.app.pool.clone();
    let archive = tokio::task::spawn_blocking(move || {
        use diesel::{connection::SimpleConnection, Connection};
        let mut conn = pool.get().unwrap();
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            conn.batch_execute(&format!(
                "UPDATE memberships SET status = 'archived' WHERE id = {agnes}"
            ))?;
            locked_tx.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(1500));
            Ok(())
        })
        .unwrap();
    });
    locked.await.unwrap();
    let res = c
        .tim
        .post_form(
            &format!("{}/assign", c.contact(kim)),
            &[("assignee", &agnes.to_string())],
        )
        .await;
    archive.await.unwrap();
    expect(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Archived members cannot be assigned contacts.",
    )
    .await;
    assert_eq!(c.assignee_of(kim).await, 0);
}

/// The "Assigned to" cell of a contact's row.
fn assignee_cell(body: &str, contact: i64) -> String {
    let row = &body[body
        .find(&format!("id=\"contact-{contact}\""))
        .expect("the row")..];
    let cell = &row[row.find("class=\"contact-assignee\"").expect("its cell")..];
    cell[..cell.find("</td>").expect("the cell's end")].to_owned()
}
