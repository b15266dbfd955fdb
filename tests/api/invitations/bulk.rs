//! Inviting a list: a pasted list or a CSV is previewed line by line, then
//! confirmed, and every address gets its own link; custom permissions in the
//! invite form reach the membership.

use reqwest::StatusCode;

use super::{app_with_smtp, enable_invites, invite, pending_count};
use crate::helpers::{
    fast_outbox, invite_link, spawn_app, spawn_app_with, SmtpServer, TestApp, TestClient, PASSWORD,
};

/// The hidden fields of the preview's confirm form, unescaped.
fn confirm_fields(html: &str) -> Vec<(String, String)> {
    let form = &html[html.find("class=\"bulk-confirm\"").expect("a confirm form")..];
    let form = &form[..form.find("</form>").unwrap()];
    let mut out = Vec::new();
    for chunk in form.split("<input type=\"hidden\" name=\"").skip(1) {
        let name = chunk.split('"').next().unwrap().to_owned();
        let value = chunk.split("value=\"").nth(1).unwrap();
        let value = value[..value.find('"').unwrap()]
            .replace("&#34;", "\"")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        out.push((name, value));
    }
    out
}

/// A multipart body as a browser sends a form with a file input.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----rosterTestBoundary7MA4YWxk";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((filename, data)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// POSTs a multipart form as a browser without JavaScript does: the CSRF token as a field.
async fn post_multipart(
    client: &TestClient,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let token = client.csrf().await;
    let mut all = fields.to_vec();
    all.push(("csrf_token", &token));
    let (content_type, body) = multipart(&all, file);
    client
        .http
        .post(client.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request")
}

async fn confirm(app: &TestApp, org: i64, preview: &str) -> (StatusCode, String) {
    let fields = confirm_fields(preview);
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let res = post_multipart(
        &app.client,
        &format!("/orgs/{org}/members/invite/confirm"),
        &fields,
        None,
    )
    .await;
    (res.status(), res.text().await.unwrap())
}

/// The table row of `email` in a preview or result.
fn line_of<'a>(html: &'a str, email: &str) -> &'a str {
    let at = html
        .find(&format!("<td>{email}</td>"))
        .unwrap_or_else(|| panic!("a line for {email}"));
    &html[at..at + html[at..].find("</tr>").unwrap()]
}

/// Which group of a preview or result the line of `email` sits in: "invite"
/// ("Will be invited" or "Invited") or "skip".
fn group_of(html: &str, email: &str) -> &'static str {
    let at = html
        .find(&format!("<td>{email}</td>"))
        .unwrap_or_else(|| panic!("a line for {email}"));
    let skip = html.find("id=\"bulk-skip\"").expect("a Skipped group");
    let invite = html
        .find("id=\"bulk-invite\"")
        .expect("a Will be invited group");
    assert!(invite < skip, "Will be invited comes first");
    if at > skip {
        "skip"
    } else if at > invite {
        "invite"
    } else {
        panic!("{email} is outside both groups")
    }
}

async fn add_team(app: &TestApp, org: i64, id: i64, name: &str) {
    let name = name.to_owned();
    app.query(move |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "INSERT INTO teams (id, organization_id, name, workflow_id) VALUES ({id}, {org}, '{name}', 'wf_{id}')"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_pasted_list_is_previewed_line_by_line_and_confirming_invites_the_valid_ones_once() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    app.query(|conn| {
        roster::db::accounts::insert(conn, "carol@example.com", "Carol", "x").unwrap();
    })
    .await;
    assert_eq!(
        invite(&app, org, "dave@example.com", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let list = "new1@example.com, bob@example.com\ncarol@example.com; dave@example.com\n\
                not-an-email NEW1@example.com\r\nnew2@example.com";

    let res = invite(&app, org, list, &[]).await;

    assert_eq!(res.status(), StatusCode::OK);
    let preview = res.text().await.unwrap();
    assert!(preview.contains("Will be invited (3)") && preview.contains("Skipped (4)"));
    assert_eq!(group_of(&preview, "new1@example.com"), "invite");
    assert!(line_of(&preview, "bob@example.com").contains("Already in this organization"));
    assert_eq!(group_of(&preview, "bob@example.com"), "skip");
    assert_eq!(
        group_of(&preview, "carol@example.com"),
        "invite",
        "an account elsewhere looks like any new address"
    );
    assert!(line_of(&preview, "dave@example.com").contains("Already invited"));
    assert!(line_of(&preview, "not-an-email").contains("Invalid: malformed"));
    assert!(line_of(&preview, "NEW1@example.com").contains("Invalid: duplicate of line 1"));
    assert_eq!(group_of(&preview, "new2@example.com"), "invite");
    assert_eq!(group_of(&preview, "not-an-email"), "skip");
    assert!(line_of(&preview, "new2@example.com").contains("<td>Member</td>"));
    // Ten seats: Ada and Bob active, Dave pending.
    assert!(
        preview.contains("3 to invite, 4 to skip. Uses 3 of 7 seats left"),
        "the preview counts seats"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invitations").await,
        1,
        "a preview changes nothing"
    );

    let (status, result) = confirm(&app, org, &preview).await;

    assert_eq!(status, StatusCode::OK, "{result}");
    assert!(result.contains("Invited 3; skipped 4"));
    assert!(result.contains("Invited (3)") && result.contains("Skipped (4)"));
    assert_eq!(group_of(&result, "new1@example.com"), "invite");
    assert_eq!(group_of(&result, "carol@example.com"), "invite");
    assert_eq!(group_of(&result, "bob@example.com"), "skip");
    assert!(line_of(&result, "bob@example.com").contains("Already in this organization"));
    assert!(line_of(&result, "not-an-email").contains("Invalid: malformed"));
    assert_eq!(pending_count(&app, org).await, 4);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox").await,
        4,
        "one email each"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'invitation.created'")
            .await,
        4
    );
    let messages = smtp.wait_for(4).await;
    for email in ["new1@example.com", "carol@example.com", "new2@example.com"] {
        let message = messages
            .iter()
            .find(|m| m.contains(&format!("X-RcptTo: {email}")))
            .unwrap_or_else(|| panic!("an email to {email}"));
        assert!(invite_link(message).contains("/invite/"));
    }

    // The same list again invites nobody twice.
    let (status, again) = confirm(&app, org, &preview).await;
    assert_eq!(status, StatusCode::OK);
    assert!(again.contains("Invited 0; skipped 7"));
    assert!(line_of(&again, "new1@example.com").contains("Already invited"));
    assert!(again.contains("Invited (0)") && again.contains("Nobody in this list was invited."));
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 4);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 4);
}

#[tokio::test]
async fn a_list_of_1001_addresses_is_refused_and_nobody_is_invited() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 2000).await;
    let list: Vec<String> = (0..1001).map(|i| format!("user{i}@example.com")).collect();

    let res = invite(&app, org, &list.join("\n"), &[]).await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("At most 1000 addresses at a time; this list has 1001"));
    let csv = format!("email\n{}", list.join("\n"));
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/invite/confirm"),
            &[("lines", csv.as_str()), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("more than 1000 addresses"));
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM accounts").await, 1);
}

#[tokio::test]
async fn a_list_of_1000_addresses_is_invited_in_one_confirm_with_an_email_queued_each() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 1001).await;
    let list: Vec<String> = (0..1000).map(|i| format!("user{i}@example.com")).collect();
    let res = invite(&app, org, &list.join(", "), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let preview = res.text().await.unwrap();
    assert!(preview.contains("Uses 1000 of 1000 seats left"));

    let (status, result) = confirm(&app, org, &preview).await;

    assert_eq!(status, StatusCode::OK);
    assert!(result.contains("Invited 1000; skipped 0"));
    assert_eq!(pending_count(&app, org).await, 1000);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE status = 'queued'")
            .await,
        1000
    );
    assert_eq!(
        app.count("SELECT count(DISTINCT token_hash) FROM invitations")
            .await,
        1000
    );
}

#[tokio::test]
async fn every_email_of_a_bulk_invite_goes_out_once_with_a_link_to_its_own_invitation() {
    let smtp = SmtpServer::start().await;
    // Sent several at a time, over more than one claimed batch.
    let settings = smtp.settings();
    let app = spawn_app_with(move |s| {
        s.smtp = Some(settings);
        s.outbox_concurrency = 8;
        fast_outbox(s);
    })
    .await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 301).await;
    let list: Vec<String> = (0..300).map(|i| format!("user{i}@example.com")).collect();
    let preview = invite(&app, org, &list.join(", "), &[])
        .await
        .text()
        .await
        .unwrap();

    let (status, result) = confirm(&app, org, &preview).await;

    assert_eq!(status, StatusCode::OK);
    assert!(result.contains("Invited 300; skipped 0"));
    smtp.wait_for(300).await;
    // Once every row is marked sent nothing more can go out.
    assert_eq!(
        app.count_when("SELECT count(*) FROM outbox WHERE status = 'sent'", 300)
            .await,
        300
    );
    let messages = smtp.messages();
    assert_eq!(messages.len(), 300, "every email, none twice");
    let links: Vec<String> = messages
        .iter()
        .map(|m| {
            let to = m
                .lines()
                .find_map(|l| l.strip_prefix("X-RcptTo: "))
                .unwrap();
            let token = invite_link(m).rsplit('/').next().unwrap().to_owned();
            format!("('{}', '{token}')", to.trim())
        })
        .collect();
    assert_eq!(
        app.count(&format!(
            "SELECT count(DISTINCT i.id) FROM invitations i \
             JOIN (VALUES {}) AS v(email, token) ON i.email = v.email \
             AND i.token_hash = sha256(convert_to(v.token, 'UTF8'))",
            links.join(", ")
        ))
        .await,
        300,
        "each link opens the invitation of the address it was sent to"
    );
}

#[tokio::test]
async fn a_csv_with_email_role_and_team_columns_is_previewed_and_invited_with_them() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 10).await;
    add_team(&app, org, 55, "Support").await;
    add_team(&app, org, 56, "Sales").await;
    let other = app
        .query(|conn| {
            roster::db::organizations::insert(conn, "Elsewhere")
                .unwrap()
                .id
                .0
        })
        .await;
    add_team(&app, other, 77, "Theirs").await;
    let csv = "\u{feff}Email,Role,Team,Notes\n\
               ann@example.com,manager,support,first\n\
               ben@example.com,,Support; SALES,\n\
               cid@example.com,emperor,,\n\
               dan@example.com,member,Theirs,\n";
    let path = format!("/orgs/{org}/members/invite");

    let res = post_multipart(
        &app.client,
        &path,
        &[("email", ""), ("role", "member")],
        Some(("people.csv", csv.as_bytes())),
    )
    .await;

    assert_eq!(res.status(), StatusCode::OK);
    let preview = res.text().await.unwrap();
    let ann = line_of(&preview, "ann@example.com");
    assert!(ann.contains("<td>Manager</td>") && ann.contains("Support (Agent)"));
    let ben = line_of(&preview, "ben@example.com");
    assert!(ben.contains("<td>Member</td>"));
    assert!(ben.contains("Support (Agent)") && ben.contains("Sales (Agent)"));
    assert!(line_of(&preview, "cid@example.com").contains("unknown role &#34;emperor&#34;"));
    assert!(
        line_of(&preview, "dan@example.com").contains("unknown team &#34;Theirs&#34;"),
        "another organization's team is unknown here"
    );

    let (status, result) = confirm(&app, org, &preview).await;

    assert_eq!(status, StatusCode::OK, "{result}");
    assert!(result.contains("Invited 2; skipped 2"));
    assert_eq!(
        app.count(
            "SELECT count(*) FROM invitations WHERE email = 'ann@example.com' AND role = 'manager' \
             AND teams = '[{\"team\": 55, \"role\": \"agent\"}]'::jsonb"
        )
        .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM invitations WHERE email = 'ben@example.com' AND role = 'member' \
             AND jsonb_array_length(teams) = 2"
        )
        .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 2);
}

#[tokio::test]
async fn a_csv_with_the_wrong_columns_or_of_10_mb_is_refused_with_a_clear_message() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 10).await;
    let path = format!("/orgs/{org}/members/invite");

    let wrong = post_multipart(
        &app.client,
        &path,
        &[("role", "member")],
        Some(("people.csv", b"name,team\nAnn,Support\n")),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = wrong.text().await.unwrap();
    assert!(body.contains("needs a header row with an &#34;email&#34; column"));
    assert!(body.contains("its columns are: name, team"));

    let mut big = b"email\n".to_vec();
    while big.len() < 10 * 1024 * 1024 {
        big.extend_from_slice(b"someone.with.a.long.name@example.com\n");
    }
    let huge = post_multipart(
        &app.client,
        &path,
        &[("role", "member")],
        Some(("huge.csv", &big)),
    )
    .await;
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(huge
        .text()
        .await
        .unwrap()
        .contains("too large: at most 1 MiB"));

    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM accounts").await, 1);
}

#[tokio::test]
async fn a_list_needing_more_seats_than_are_left_is_refused_as_a_whole() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 3).await;
    let list = "a@example.com b@example.com c@example.com";

    let res = invite(&app, org, list, &[]).await;

    assert_eq!(res.status(), StatusCode::OK);
    let preview = res.text().await.unwrap();
    assert!(preview.contains("need 3 seats, but only 2 of 3 are left"));
    assert!(preview.contains(" disabled>Invite 3 addresses"));
    let (status, body) = confirm(&app, org, &preview).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("need 3 seats, but only 2 of 3 are left"));
    assert!(body.contains("nobody was invited"));
    assert_eq!(pending_count(&app, org).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 0);
}

#[tokio::test]
async fn custom_permissions_from_the_invite_form_arrive_on_the_membership_at_accept() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let (_, dialog) = app
        .client
        .page(&format!("/orgs/{org}/members/invite"))
        .await;
    assert!(dialog.contains("name=\"perm\" value=\"audit.view\""));

    let res = invite(
        &app,
        org,
        "grace@example.com",
        &[("perm", "audit.view"), ("perm", "members.view")],
    )
    .await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let link = invite_link(&smtp.wait_for(1).await[0]);
    let invitee = TestClient::new(&app.address);
    let path = link.trim_start_matches(&app.address).to_owned();
    invitee.page(&path).await;
    let res = invitee
        .post_form(
            &path,
            &[
                ("display_name", "Grace Hopper"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE a.email = 'grace@example.com' AND m.status = 'active' \
             AND m.permissions @> ARRAY['audit.view', 'members.view'] \
             AND cardinality(m.permissions) = 2"
        )
        .await,
        1
    );
    // The pending member was given nothing before accepting.
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'invitation.accepted' \
             AND after->'permissions' ? 'audit.view'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_inviter_cannot_grant_a_permission_they_lack_and_unknown_permissions_are_refused() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 10).await;
    app.add_member(org, "mia@example.com", "Mia", "manager")
        .await;
    let manager = app.signed_in_client("mia@example.com", PASSWORD).await;
    let path = format!("/orgs/{org}/members/invite");
    let (_, dialog) = manager.page(&path).await;
    assert!(
        dialog.contains("value=\"billing.manage\" disabled"),
        "the checkbox of a permission the manager lacks is disabled"
    );

    let lacking = manager
        .post_form(
            &path,
            &[
                ("email", "grace@example.com"),
                ("role", "member"),
                ("perm", "billing.manage"),
            ],
        )
        .await;
    let unknown = manager
        .post_form(
            &path,
            &[
                ("email", "grace@example.com"),
                ("role", "member"),
                ("perm", "root"),
            ],
        )
        .await;
    let list = manager
        .post_form(
            &path,
            &[
                ("email", "a@example.com, b@example.com"),
                ("role", "member"),
                ("perm", "billing.manage"),
            ],
        )
        .await;

    assert_eq!(lacking.status(), StatusCode::FORBIDDEN);
    assert!(lacking
        .text()
        .await
        .unwrap()
        .contains("You cannot grant permissions you do not hold yourself."));
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("Unknown permission &#34;root&#34;"));
    assert_eq!(list.status(), StatusCode::OK);
    let preview = list.text().await.unwrap();
    assert!(line_of(&preview, "a@example.com")
        .contains("Invalid: You cannot grant permissions you do not hold yourself."));
    assert!(preview.contains(" disabled>Invite 0 addresses"));
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
}

#[tokio::test]
async fn a_confirmed_list_counts_each_address_against_the_hourly_invitation_limit() {
    let app = crate::helpers::spawn_app_with(|s| s.limits.invites_per_org = 3).await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 20).await;
    let four = "a@example.com b@example.com c@example.com d@example.com";
    let res = invite(&app, org, four, &[]).await;

    // Already the preview says so: it counts the addresses it looks up alike.
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = res.text().await.unwrap();
    assert!(
        body.contains(
            "That is 4 addresses previewed for this organization, more than the 3 allowed per hour."
        ),
        "{body}"
    );
    assert_eq!(pending_count(&app, org).await, 0, "nobody is invited");
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 0);

    let three = "a@example.com b@example.com c@example.com";
    let preview = invite(&app, org, three, &[]).await.text().await.unwrap();
    let (status, _) = confirm(&app, org, &preview).await;
    assert_eq!(status, StatusCode::OK, "three addresses fit the limit");
    assert_eq!(pending_count(&app, org).await, 3);
}
