//! The JSON API under /api/v1 and Settings → API tokens: tokens made through
//! the page (`tokens`), who a request is (`auth`), the members endpoints
//! (`members`), revoking and restoring members (`lifecycle`), teams
//! (`teams`), invitations (`invitations`), groups and services (`groups`)
//! and bad input (`input`). Every response a test reads goes through
//! [`ApiClient`], which checks it against the served OpenAPI document.

mod auth;
mod contract;
mod input;
mod lifecycle;
mod members;
mod teams;
mod tokens;

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{spawn_app_with, TestApp, TestClient};
use contract::Contract;

/// Ada's "Acme" on the Pro plan with API access and User management on and
/// `seats` seats; Ada signed in as `app.client`: (app, org).
pub async fn api_org_with(configure: impl FnOnce(&mut roster::config::Settings)) -> (TestApp, i64) {
    let app = spawn_app_with(configure).await;
    let org = app.setup_owner().await;
    enable_api(&app, org).await;
    (app, org)
}

pub async fn api_org() -> (TestApp, i64) {
    api_org_with(|_| {}).await
}

pub async fn enable_api(app: &TestApp, org: i64) {
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "UPDATE organizations SET plan = 'pro', seats_purchased = 50 WHERE id = {org};
             INSERT INTO organization_features (organization_id, feature, enabled)
             VALUES ({org}, 'api_access', true), ({org}, 'user_management', true)
             ON CONFLICT (organization_id, feature) DO UPDATE SET enabled = true;"
        ))
        .unwrap();
    })
    .await;
}

/// Runs SQL statements on the test database.
pub async fn exec(app: &TestApp, sql: &str) {
    let sql = sql.to_owned();
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&sql).unwrap();
    })
    .await;
}

/// Makes a token through Settings → API tokens as `client`; its secret.
pub async fn make_token_as(client: &TestClient, org: i64, name: &str, scopes: &[&str]) -> String {
    let mut fields = vec![("name", name), ("expires_days", "90")];
    fields.extend(scopes.iter().map(|s| ("scopes", *s)));
    let res = client
        .post_form(&format!("/orgs/{org}/settings/api-tokens"), &fields)
        .await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "token made: {body}");
    secret_in(&body).expect("the page shows the new token")
}

/// A token with `scopes` made by Ada.
pub async fn make_token(app: &TestApp, org: i64, scopes: &[&str]) -> String {
    make_token_as(&app.client, org, "script", scopes).await
}

/// The token a page shows once.
pub fn secret_in(body: &str) -> Option<String> {
    let start = body.find("roster_pat_")?;
    Some(
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect(),
    )
}

/// Every scope an Owner may give.
pub const ALL_SCOPES: &[&str] = &[
    "members.view",
    "members.invite",
    "members.edit_roles",
    "members.revoke",
    "teams.create",
    "teams.manage",
    "team.settings",
    "team.members",
    "team.view_all",
    "groups.manage",
    "services.manage",
    "contacts.view_all",
    "contacts.assign",
];

/// One API response: status, headers and the JSON body (`Null` when empty).
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    /// The problem's `type` slug.
    pub fn problem(&self) -> &str {
        self.body["type"]
            .as_str()
            .unwrap_or("")
            .trim_start_matches("/api/v1/problems/")
    }
}

/// A script calling the API with a token; checks every answer against the
/// OpenAPI document.
pub struct ApiClient {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
    contract: Arc<Contract>,
}

impl ApiClient {
    pub async fn new(app: &TestApp, token: Option<&str>) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let doc: Value = http
            .get(format!("{}/api/v1/openapi.json", app.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            http,
            base: app.address.clone(),
            token: token.map(str::to_owned),
            contract: Contract::new(doc),
        }
    }

    pub fn with_token(&self, token: Option<&str>) -> Self {
        Self {
            http: self.http.clone(),
            base: self.base.clone(),
            token: token.map(str::to_owned),
            contract: self.contract.clone(),
        }
    }

    /// Sends a request and checks the answer against the document.
    pub async fn send(&self, req: reqwest::RequestBuilder, method: &str, path: &str) -> Answer {
        let req = match &self.token {
            Some(token) => req.bearer_auth(token),
            None => req,
        };
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"))
        };
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(
                content_type, "application/problem+json",
                "{method} {path}: {body}"
            );
        }
        assert!(
            !status.is_server_error(),
            "{method} {path}: {status} {body}"
        );
        self.contract
            .check(method, path, status.as_u16(), &content_type, &body);
        Answer {
            status,
            headers,
            body,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Answer {
        let req = self.http.get(self.url(path));
        self.send(req, "GET", &format!("/api/v1{path}")).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        let req = self.http.delete(self.url(path));
        self.send(req, "DELETE", &format!("/api/v1{path}")).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.json(Method::POST, path, body).await
    }

    pub async fn json(&self, method: Method, path: &str, body: &Value) -> Answer {
        let name = method.as_str().to_owned();
        let req = self.http.request(method, self.url(path)).json(body);
        self.send(req, &name, &format!("/api/v1{path}")).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Answer {
        self.json(Method::PATCH, path, body).await
    }

    /// A raw body with a content type of one's choosing.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Answer {
        let name = method.as_str().to_owned();
        let req = self
            .http
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        self.send(req, &name, &format!("/api/v1{path}")).await
    }
}

/// An API client for `app` with the token `token`.
pub async fn api(app: &TestApp, token: &str) -> ApiClient {
    ApiClient::new(app, Some(token)).await
}
