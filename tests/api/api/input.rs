//! Bad input to the API: each gets a clear problem+json 4xx, never a 500, and
//! nothing is saved.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{api, api_org, make_token, ALL_SCOPES};

async fn bob(app: &crate::helpers::TestApp, org: i64) -> i64 {
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    app.count("SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'bob@example.com'")
        .await
}

#[tokio::test]
async fn unknown_fields_wrong_types_and_broken_json_are_refused_with_a_clear_400() {
    let (app, org) = api_org().await;
    let bob = bob(&app, org).await;
    let client = api(&app, &make_token(&app, org, ALL_SCOPES).await).await;
    let path = format!("/members/{bob}");

    let unknown = client
        .patch(&path, &json!({"role": "manager", "is_admin": true}))
        .await;
    let wrong_type = client.patch(&path, &json!({"role": 7})).await;
    let wrong_shape = client.patch(&path, &json!(["role", "manager"])).await;
    let broken = client
        .raw(
            Method::PATCH,
            &path,
            "application/json",
            b"{\"role\": \"manager\"".to_vec(),
        )
        .await;
    let not_json = client
        .raw(Method::PATCH, &path, "text/plain", b"role=manager".to_vec())
        .await;
    let bad_role = client.patch(&path, &json!({"role": "superuser"})).await;

    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.problem(), "invalid-body");
    assert!(unknown.body["detail"]
        .as_str()
        .unwrap()
        .contains("unknown field `is_admin`"));
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert!(wrong_type.body["detail"]
        .as_str()
        .unwrap()
        .contains("invalid type"));
    assert_eq!(wrong_shape.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.problem(), "malformed-json");
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(bad_role.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_role.body["errors"][0]["field"], "role");
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE role = 'member'")
            .await,
        1,
        "nothing changed"
    );
}

#[tokio::test]
async fn a_ten_megabyte_body_is_refused_with_413_before_it_is_read() {
    let (app, org) = api_org().await;
    let bob = bob(&app, org).await;
    let client = api(&app, &make_token(&app, org, ALL_SCOPES).await).await;
    let mut body = b"{\"role\": \"".to_vec();
    body.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
    body.extend(b"\"}");

    let answer = client
        .raw(
            Method::PATCH,
            &format!("/members/{bob}"),
            "application/json",
            body,
        )
        .await;

    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.problem(), "too-large");
}

#[tokio::test]
async fn a_bad_query_string_is_named_and_an_unknown_endpoint_is_a_404_problem() {
    let (app, org) = api_org().await;
    let client = api(&app, &make_token(&app, org, &["members.view"]).await).await;

    let not_a_number = client.get("/members?limit=lots").await;
    let too_many = client.get("/members?limit=100000").await;
    let unknown = client.get("/members?sort_by=name").await;
    let forged = client.get("/members?cursor=bm90LWEtY3Vyc29y").await;
    let nul = client.get("/members?q=a%00b").await;
    let nowhere = client.get("/nowhere").await;

    assert_eq!(not_a_number.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_a_number.problem(), "invalid-query");
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(too_many.body["errors"][0]["field"], "limit");
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(forged.status, StatusCode::BAD_REQUEST);
    assert!(forged.body["detail"].as_str().unwrap().contains("cursor"));
    assert_eq!(nul.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    assert_eq!(nowhere.problem(), "not-found");
}
