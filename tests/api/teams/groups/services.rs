//! The Services tab: creating, editing, switching and deleting services, and
//! which groups and members provide them.

use reqwest::StatusCode;

use super::scene::*;
use crate::helpers::location;

#[tokio::test]
async fn services_are_created_edited_switched_and_deleted() {
    let s = Scene::new().await;
    let (status, body) = s.tim.page(&s.services()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("No services yet"));

    // Create with htmx: the section with the new row and a toast.
    let res = s
        .tim
        .htmx_post(
            &s.services(),
            &[
                ("name", "Billing"),
                ("description", "Invoices\nand refunds"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<section id=\"services\""));
    assert!(body.contains("Billing</strong>") && body.contains("Service “Billing” created."));
    let billing = service_id(&s.app, s.team, "Billing").await;

    // Bad input: a message next to the field, nothing saved.
    for (name, description, message, status) in [
        (
            "",
            "",
            "Service name cannot be empty.",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &"s".repeat(500) as &str,
            "",
            "Service name can be at most 100 characters.",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "Ok",
            "nul\0here",
            "Description cannot contain control characters",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "Ok",
            &"d".repeat(10_000),
            "Description can be at most 1000 characters.",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "billing",
            "",
            "This team already has a service named “billing”.",
            StatusCode::CONFLICT,
        ),
    ] {
        let res = s
            .tim
            .post_form(
                &s.services(),
                &[("name", name), ("description", description)],
            )
            .await;
        assert_eq!(res.status(), status, "{message}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(s.app.count("SELECT count(*) FROM services").await, 1);

    // Edit inline: the row becomes a form and comes back saved.
    let row = format!("{}/{billing}", s.services());
    let res = s.tim.htmx_get(&format!("{row}/edit")).await;
    let form = res.text().await.unwrap();
    assert!(form.starts_with(&format!(
        "<li id=\"service-{billing}\" class=\"service-row is-editing\""
    )));
    let res = s
        .tim
        .htmx_post(
            &row,
            &[
                ("name", "Billing & refunds"),
                ("description", "Money matters"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.starts_with(&format!(
        "<li id=\"service-{billing}\" class=\"service-row\""
    )));
    assert!(
        body.contains("Billing &#38; refunds") && body.contains("Money matters"),
        "{body}"
    );
    let res = s
        .tim
        .htmx_post(&row, &[("name", ""), ("description", "")])
        .await;
    expect(res, StatusCode::UNPROCESSABLE_ENTITY, "is-editing").await;
    // Without JavaScript: an edit page, and a redirect after saving.
    let (status, page) = s.tim.page(&format!("{row}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<html") && page.contains("value=\"Billing &#38; refunds\""));
    let res = s
        .tim
        .post_form(
            &row,
            &[("name", "Billing"), ("description", "Money matters")],
        )
        .await;
    assert_eq!(
        location(&res),
        format!("{}#service-{billing}", s.services())
    );

    // Switch off and on: the row swaps, with a toast.
    let res = s
        .tim
        .htmx_post(&format!("{row}/active"), &[("active", "false")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("class=\"service-row is-inactive\"") && body.contains("data-state=\"off\"")
    );
    assert!(body.contains("Billing is now inactive."));
    let res = s
        .tim
        .htmx_post(&format!("{row}/active"), &[("active", "maybe")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = s
        .tim
        .post_form(&format!("{row}/active"), &[("active", "true")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        s.app
            .count("SELECT count(*) FROM services WHERE active")
            .await,
        1
    );

    // Delete.
    let res = s.tim.post_form(&format!("{row}/delete"), &[]).await;
    assert_eq!(location(&res), s.services());
    assert_eq!(s.app.count("SELECT count(*) FROM services").await, 0);
    for (action, n) in [
        ("service.created", 1),
        ("service.updated", 2),
        ("service.deactivated", 1),
        ("service.activated", 1),
        ("service.deleted", 1),
    ] {
        assert_eq!(audits(&s.app, action).await, n, "{action}");
    }
}

#[tokio::test]
async fn a_service_attached_to_two_groups_is_provided_by_their_members() {
    let s = Scene::new().await;
    let (_, alice) = s.agent("alice@example.com", "Alice Active").await;
    let (_, bob) = s.agent("bob@example.com", "Bob Busy").await;
    let (_, carol) = s.agent("carol@example.com", "Carol Elsewhere").await;
    let nights = s.create_group("Nights").await;
    let days = s.create_group("Days").await;
    let other = s.create_group("Other").await;
    let billing = s.create_service("Billing").await;
    for (group, member) in [(nights, alice), (days, bob), (days, alice), (other, carol)] {
        let res = s
            .tim
            .post_form(
                &format!("{}/{group}/members", s.groups()),
                &[("team_membership_id", &member.to_string())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    for group in [nights, days] {
        let res = s
            .tim
            .htmx_post(
                &format!("{}/{group}/services", s.groups()),
                &[("service_id", &billing.to_string())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("The group now provides Billing."));
    }
    // Attaching twice is a clear conflict.
    let res = s
        .tim
        .htmx_post(
            &format!("{}/{nights}/services", s.groups()),
            &[("service_id", &billing.to_string())],
        )
        .await;
    expect(
        res,
        StatusCode::CONFLICT,
        "Nights already provides Billing.",
    )
    .await;

    let (_, page) = s.tim.page(&s.services()).await;
    let row = &page[page.find(&format!("id=\"service-{billing}\"")).unwrap()..];
    let row = &row[..row.find("</li>").unwrap()];
    assert!(row.contains("<span class=\"chip chip-group\">Days</span>"));
    assert!(row.contains("<span class=\"chip chip-group\">Nights</span>"));
    assert!(
        row.contains("<span class=\"provider-names\">Alice Active, Bob Busy</span>"),
        "{row}"
    );
    assert!(!row.contains("Carol") && !row.contains(">Other<"));
    // The groups page shows it on both cards.
    let (_, page) = s.tim.page(&s.groups()).await;
    assert_eq!(
        page.matches("<span class=\"chip-name\">Billing</span>")
            .count(),
        2
    );

    // Detaching from one group leaves the other's members providing it.
    let res = s
        .tim
        .post_form(
            &format!("{}/{nights}/services/{billing}/remove", s.groups()),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = s.tim.page(&s.services()).await;
    assert!(page.contains("<span class=\"provider-names\">Alice Active, Bob Busy</span>"));
    assert!(!page.contains("<span class=\"chip chip-group\">Nights</span>"));
    assert_eq!(audits(&s.app, "service.attached").await, 2);
    assert_eq!(audits(&s.app, "service.detached").await, 1);
}

#[tokio::test]
async fn two_managers_saving_one_service_at_once_leave_one_whole_version() {
    let s = Scene::new().await;
    let billing = s.create_service("Billing").await;
    let row = format!("{}/{billing}", s.services());
    let ada = &s.app.client;
    ada.page(&s.services()).await;
    for round in 0..5 {
        let (tim_name, ada_name) = (format!("Tim {round}"), format!("Ada {round}"));
        let tim_save = [("name", tim_name.as_str()), ("description", "by Tim")];
        let ada_save = [("name", ada_name.as_str()), ("description", "by Ada")];
        let (a, b) = tokio::join!(
            s.tim.htmx_post(&row, &tim_save),
            ada.htmx_post(&row, &ada_save)
        );
        assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
        let mixed = s
            .app
            .count(
                "SELECT count(*) FROM services WHERE NOT (\
                 (name LIKE 'Tim %' AND description = 'by Tim') OR \
                 (name LIKE 'Ada %' AND description = 'by Ada'))",
            )
            .await;
        assert_eq!(mixed, 0, "never half of each save");
    }
}
