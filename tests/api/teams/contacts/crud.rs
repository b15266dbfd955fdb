//! Adding, editing and deleting contacts, with and without htmx, and the bad
//! input the issue names.

use reqwest::StatusCode;

use super::*;

#[tokio::test]
async fn the_contacts_tab_sits_next_to_members_groups_services_and_settings() {
    let c = Cast::new().await;
    let (_, members_tab) = c
        .tim
        .page(&format!("/orgs/{}/teams/{}", c.org, c.team))
        .await;
    assert!(members_tab.contains(&format!("href=\"{}\">Contacts</a>", c.contacts())));
    let (status, tab) = c.tim.page(&c.contacts()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(tab.contains("aria-current=\"page\">Contacts</a>"));
    assert!(tab.contains("No contacts yet") && tab.contains("id=\"contact-create\""));
}

#[tokio::test]
async fn a_team_manager_adds_edits_and_deletes_a_contact_without_javascript() {
    let c = Cast::new().await;
    let res = c
        .tim
        .post_form(
            &c.contacts(),
            &[
                ("name", "  Kim Lee "),
                ("email", "kim@customer.example"),
                ("phone", "+1 (555) 010-0199"),
                ("note", "Prefers email.\nNever on Fridays."),
                ("assignee", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let kim = c.contact_id("Kim Lee").await;
    let (_, page) = c.tim.page(&c.contacts()).await;
    assert!(
        page.contains("Contact “Kim Lee” added."),
        "the flash says so"
    );
    assert!(page.contains(&format!("id=\"contact-{kim}\"")));
    assert!(page.contains("kim@customer.example") && page.contains("+1 (555) 010-0199"));

    // Edit on its own page, then save.
    let (status, edit) = c.tim.page(&format!("{}/edit", c.contact(kim))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(edit.contains("Edit the contact “Kim Lee”") && edit.contains("Never on Fridays."));
    let res = c
        .tim
        .post_form(
            &c.contact(kim),
            &[
                ("name", "Kim Lee-Park"),
                ("email", ""),
                ("phone", "555 0100"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), c.contacts());
    let (_, page) = c.tim.page(&c.contacts()).await;
    assert!(page.contains("Contact “Kim Lee-Park” saved.") && page.contains("555 0100"));
    assert!(
        !page.contains("kim@customer.example"),
        "the email was cleared"
    );

    // Delete asks first, on a page of its own.
    let (status, confirm) = c.tim.page(&format!("{}/delete", c.contact(kim))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Delete the contact “Kim Lee-Park”?"));
    assert!(confirm.contains("cannot be undone") && confirm.contains("data-confirm="));
    let res = c
        .tim
        .post_form(&format!("{}/delete", c.contact(kim)), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.count().await, 0);
    let (_, page) = c.tim.page(&c.contacts()).await;
    assert!(page.contains("Contact “Kim Lee-Park” deleted.") && page.contains("No contacts yet"));

    for action in ["contact.created", "contact.updated", "contact.deleted"] {
        assert_eq!(audits(&c.app, action).await, 1, "{action}");
    }
}

#[tokio::test]
async fn with_htmx_a_contact_is_added_and_edited_in_its_row_with_a_toast() {
    let c = Cast::new().await;
    c.tim.page(&c.contacts()).await;
    let res = c
        .tim
        .htmx_post(&c.contacts(), &[("name", "Noor Haddad"), ("email", "")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["hx-trigger"], "contacts-changed");
    let body = res.text().await.unwrap();
    assert!(
        body.contains("id=\"contact-create\"") && body.contains("Contact “Noor Haddad” added.")
    );
    assert!(
        !body.contains("value=\"Noor Haddad\""),
        "the form comes back blank"
    );
    let noor = c.contact_id("Noor Haddad").await;

    // The list reloads itself on that trigger: the same list as a fragment.
    let res = c.tim.htmx_get(&c.contacts()).await;
    let list = res.text().await.unwrap();
    assert!(list.starts_with("<section id=\"contacts\"") && list.contains("Noor Haddad"));
    assert!(!list.contains("<html"), "a fragment, not a page");

    // The pencil turns the row into its form; saving gives the row back.
    let res = c.tim.htmx_get(&format!("{}/edit", c.contact(noor))).await;
    let form = res.text().await.unwrap();
    assert!(form.contains(&format!(
        "<tr id=\"contact-{noor}\" class=\"contact-row editing\""
    )));
    let res = c
        .tim
        .htmx_post(
            &c.contact(noor),
            &[("name", "Noor Haddad"), ("note", "Call after 5.")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = res.text().await.unwrap();
    assert!(row.starts_with(&format!("<tr id=\"contact-{noor}\" class=\"contact-row\"")));
    assert!(row.contains("Call after 5.") && row.contains("Contact “Noor Haddad” saved."));
    // Cancel asks for the row as it is.
    let res = c.tim.htmx_get(&c.contact(noor)).await;
    assert!(res.text().await.unwrap().contains("Call after 5."));
    // Refused input comes back in the row's form, at its field.
    let res = c
        .tim
        .htmx_post(&c.contact(noor), &[("name", ""), ("email", "nope")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let form = res.text().await.unwrap();
    assert!(
        form.contains("class=\"contact-row editing\"") && form.contains("Name cannot be empty.")
    );
}

#[tokio::test]
async fn bad_contact_input_gets_a_clear_message_at_its_field_and_writes_nothing() {
    let c = Cast::new().await;
    let long_note = "x".repeat(10_000);
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![("name", "Kim".into()), ("note", long_note.clone())],
            "Note can be at most 5000 characters (this one has 10000).",
        ),
        (
            vec![("name", "Kim".into()), ("email", "kim@@example".into())],
            "Enter an email address such as name@example.com.",
        ),
        (
            vec![("name", "Kim".into()), ("phone", "call me maybe".into())],
            "Phone can hold only digits, spaces and + - ( )",
        ),
        (vec![("name", "   ".into())], "Name cannot be empty."),
        (
            vec![("name", "a\u{0}b".into())],
            "Name cannot contain control characters",
        ),
        (
            vec![("name", "n".repeat(201))],
            "Name can be at most 200 characters.",
        ),
        (
            vec![("name", "Kim".into()), ("assignee", "nobody".into())],
            "Choose a member of this team, or Unassigned.",
        ),
    ];
    for (fields, message) in cases {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = c.tim.post_form(&c.contacts(), &fields).await;
        let body = expect(res, StatusCode::UNPROCESSABLE_ENTITY, message).await;
        assert!(body.contains("aria-invalid=\"true\""), "{message}");
    }
    assert_eq!(c.count().await, 0, "nothing was written");

    // The same limits hold when editing; the contact stays as it was.
    let kim = c.create("Kim").await;
    let res = c
        .tim
        .post_form(&c.contact(kim), &[("name", "Kim"), ("note", &long_note)])
        .await;
    expect(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Note can be at most 5000 characters (this one has 10000).",
    )
    .await;
    assert_eq!(
        c.app
            .count(&format!(
                "SELECT length(note)::bigint FROM contacts WHERE id = {kim}"
            ))
            .await,
        0
    );
    assert_eq!(audits(&c.app, "contact.updated").await, 0);
}

#[tokio::test]
async fn an_emoji_name_is_kept_as_typed_and_found_by_search() {
    let c = Cast::new().await;
    let res = c
        .tim
        .post_form(&c.contacts(), &[("name", "Zoë 🦊 Ørsted"), ("email", "")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let zoe = c.contact_id("Zoë 🦊 Ørsted").await.to_string();
    c.create("Someone Else").await;
    let (_, all) = c.tim.page(&c.contacts()).await;
    assert_eq!(row_ids(&all).len(), 2);
    let (_, found) = c
        .tim
        .page(&format!("{}?q=%F0%9F%A6%8A", c.contacts()))
        .await;
    assert!(found.contains("Zoë 🦊 Ørsted"));
    assert_eq!(row_ids(&found), vec![zoe.clone()]);
    let (_, found) = c.tim.page(&format!("{}?q=%C3%B8rsted", c.contacts())).await;
    assert_eq!(row_ids(&found), vec![zoe], "search ignores case");
}
