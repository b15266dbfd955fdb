//! Settings → API tokens: making a token (its secret shown once, stored as a
//! hash, every Owner told by email), what its scopes may be, the list with its
//! creator and last use, and revoking it.

use reqwest::StatusCode;

use super::{api, api_org, api_org_with, exec, make_token, make_token_as, secret_in, ApiClient};
use crate::helpers::{fast_outbox, spawn_app, SmtpServer, PASSWORD};

#[tokio::test]
async fn an_owner_makes_a_token_that_is_shown_once_and_kept_only_as_its_hash() {
    let (app, org) = api_org().await;

    let secret = make_token(&app, org, &["members.view"]).await;

    assert!(
        secret.starts_with("roster_pat_") && secret.len() >= 50,
        "{secret}"
    );
    let stored = app
        .count(&format!(
            "SELECT count(*) FROM api_tokens WHERE token_hash = sha256('{secret}'::bytea)"
        ))
        .await;
    assert_eq!(stored, 1, "kept as its SHA-256");
    let anywhere = app
        .count(&format!(
            "SELECT count(*) FROM api_tokens t WHERE t::text LIKE '%{}%'",
            &secret[11..30]
        ))
        .await;
    assert_eq!(anywhere, 0, "the secret itself is stored nowhere");
    let (status, list) = app
        .client
        .page(&format!("/orgs/{org}/settings/api-tokens"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("script") && list.contains("members.view"));
    assert!(secret_in(&list).is_none(), "never shown again");
    assert!(list.contains("Ada Lovelace"), "the creator is named");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'api_token.created'")
            .await,
        1
    );
    let answer = api(&app, &secret).await.get("/members").await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn every_owner_gets_an_email_naming_the_new_token_but_not_its_secret() {
    let smtp = SmtpServer::start().await;
    let mail = smtp.settings();
    let (app, org) = api_org_with(move |s| {
        s.smtp = Some(mail);
        fast_outbox(s);
    })
    .await;
    app.add_member(org, "grace@example.com", "Grace", "owner")
        .await;
    app.add_member(org, "ann@example.com", "Ann", "admin").await;

    let secret = make_token(&app, org, &["members.view"]).await;

    let messages = smtp.wait_for(2).await;
    assert_eq!(messages.len(), 2, "one per Owner");
    let to: Vec<bool> = ["ada@example.com", "grace@example.com"]
        .iter()
        .map(|a| {
            messages
                .iter()
                .any(|m| m.contains(&format!("X-RcptTo: {a}")))
        })
        .collect();
    assert_eq!(to, [true, true]);
    assert!(
        !messages.iter().any(|m| m.contains("ann@example.com")),
        "Admins are not Owners"
    );
    for message in &messages {
        assert!(message.contains("Subject: A new API token was created in Acme"));
        assert!(message.contains("script"));
        assert!(!message.contains(&secret[11..]), "never the secret");
    }
}

#[tokio::test]
async fn a_token_holds_only_scopes_its_maker_holds_and_only_an_owner_makes_one_that_never_expires()
{
    let (app, org) = api_org().await;
    app.add_member(org, "ann@example.com", "Ann", "admin").await;
    app.add_member(org, "max@example.com", "Max", "manager")
        .await;
    let ann = app.signed_in_client("ann@example.com", PASSWORD).await;
    let path = format!("/orgs/{org}/settings/api-tokens");

    let (_, page) = ann.page(&path).await;
    assert!(
        !page.contains("Never expires"),
        "only Owners see the choice"
    );
    let billing = ann
        .post_form(&path, &[("name", "x"), ("scopes", "billing.manage")])
        .await;
    let never = ann
        .post_form(
            &path,
            &[("name", "x"), ("scopes", "members.view"), ("never", "on")],
        )
        .await;
    let ingest = make_token_as(&ann, org, "calls", &["workflows.ingest", "groups.manage"]).await;
    let max = app.signed_in_client("max@example.com", PASSWORD).await;
    let (manager_status, _) = max.page(&path).await;

    assert_eq!(billing.status(), StatusCode::FORBIDDEN);
    assert!(billing
        .text()
        .await
        .unwrap()
        .contains("only have permissions you hold"));
    assert_eq!(never.status(), StatusCode::FORBIDDEN);
    assert!(never.text().await.unwrap().contains("Only an Owner"));
    assert!(ingest.starts_with("roster_pat_"));
    assert_eq!(
        manager_status,
        StatusCode::FORBIDDEN,
        "api.manage is needed"
    );
    let forever = app
        .client
        .post_form(
            &path,
            &[("name", "ci"), ("scopes", "members.view"), ("never", "on")],
        )
        .await;
    assert_eq!(forever.status(), StatusCode::CREATED);
    assert_eq!(
        app.count("SELECT count(*) FROM api_tokens WHERE expires_at IS NULL")
            .await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM api_tokens WHERE expires_at BETWEEN now() + interval '89 days' \
             AND now() + interval '91 days'"
        )
        .await,
        1,
        "ninety days by default"
    );
}

#[tokio::test]
async fn a_bad_token_form_is_answered_in_place_and_saves_nothing() {
    let (app, org) = api_org().await;
    let path = format!("/orgs/{org}/settings/api-tokens");
    for (fields, message) in [
        (
            vec![("name", ""), ("scopes", "members.view")],
            "Name cannot be empty.",
        ),
        (
            vec![
                ("name", "x"),
                ("expires_days", "400"),
                ("scopes", "members.view"),
            ],
            "between 1 and 365",
        ),
        (
            vec![("name", "x"), ("scopes", "root")],
            "Unknown permission",
        ),
        (vec![("name", "x")], "at least one scope"),
        (
            vec![("name", "a\u{0}b"), ("scopes", "members.view")],
            "control characters",
        ),
    ] {
        let res = app.client.post_form(&path, &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(res.text().await.unwrap().contains(message), "{message}");
    }
    assert_eq!(app.count("SELECT count(*) FROM api_tokens").await, 0);
}

#[tokio::test]
async fn tokens_need_api_access_which_comes_with_the_pro_plan() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let path = format!("/orgs/{org}/settings/api-tokens");

    let (status, page) = app.client.page(&path).await;
    let res = app
        .client
        .post_form(&path, &[("name", "x"), ("scopes", "members.view")])
        .await;

    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("API access is off"));
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM api_tokens").await, 0);
}

#[tokio::test]
async fn a_revoked_token_stops_at_once_and_the_revocation_is_audited() {
    let (app, org) = api_org().await;
    let secret = make_token(&app, org, &["members.view"]).await;
    let client = api(&app, &secret).await;
    assert_eq!(client.get("/members").await.status, StatusCode::OK);
    let id = app.count("SELECT id FROM api_tokens").await;

    let res = app
        .client
        .htmx_post(&format!("/orgs/{org}/settings/api-tokens/{id}/revoke"), &[])
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    let fragment = res.text().await.unwrap();
    assert!(fragment.contains("revoked"));
    let answer = client.get("/members").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body["detail"].as_str().unwrap().contains("revoked"));
    assert!(answer.header("www-authenticate").contains("invalid_token"));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'api_token.revoked'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_token_outlives_its_creators_membership_and_the_list_says_so() {
    let (app, org) = api_org().await;
    app.add_member(org, "ann@example.com", "Ann", "admin").await;
    let ann = app.signed_in_client("ann@example.com", PASSWORD).await;
    let secret = make_token_as(&ann, org, "sync", &["members.view"]).await;

    // Archived by SQL, as the lifecycle's revoke would leave the membership.
    exec(
        &app,
        "UPDATE memberships SET status = 'archived' WHERE account_id = \
         (SELECT id FROM accounts WHERE email = 'ann@example.com')",
    )
    .await;

    let answer = api(&app, &secret).await.get("/members").await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "the token is the organization's"
    );
    let (_, list) = app
        .client
        .page(&format!("/orgs/{org}/settings/api-tokens"))
        .await;
    assert!(list.contains("Ann") && list.contains("creator archived"));
}

#[tokio::test]
async fn the_first_use_is_audited_once_and_the_list_shows_when_and_from_where() {
    let (app, org) = api_org().await;
    let secret = make_token(&app, org, &["members.view"]).await;
    let client: ApiClient = api(&app, &secret).await;

    for _ in 0..3 {
        assert_eq!(client.get("/members").await.status, StatusCode::OK);
    }

    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'api_token.first_used'")
            .await,
        1
    );
    let (_, list) = app
        .client
        .page(&format!("/orgs/{org}/settings/api-tokens"))
        .await;
    assert!(list.contains("127.0.0.1"), "the client address");
    assert!(!list.contains(">never<"), "a last use is shown");
}
