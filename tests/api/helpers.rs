//! The test harness: a fresh database per test cloned from a migrated template,
//! the real application on a random port, and a client that keeps cookies and
//! the CSRF token like a browser does.

use std::{
    net::TcpListener,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use diesel::{connection::SimpleConnection, sql_query, Connection, PgConnection, RunQueryDsl};
use reqwest::{cookie::CookieStore, redirect::Policy, StatusCode};
use roster::{config::Settings, db::PgPool, startup::Application};
use sha2::{Digest, Sha256};

pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_SERVER")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database on the test server. Without TLS: a test process exits while the
/// app's threads may still hold connections, and OpenSSL's exit-time cleanup
/// under a live TLS connection crashed finished tests (double free, SIGSEGV).
pub fn database_url(name: &str) -> String {
    format!("{}/{name}?sslmode=disable", server_url())
}

/// A database of its own for one test, dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

fn migrations_fingerprint() -> String {
    fn walk(dir: &Path, hasher: &mut Sha256) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("migrations folder")
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, hasher);
            } else {
                hasher.update(path.to_string_lossy().as_bytes());
                hasher.update(std::fs::read(&path).expect("migration file"));
            }
        }
    }
    let mut hasher = Sha256::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"),
        &mut hasher,
    );
    hex::encode(&hasher.finalize()[..6])
}

impl TestDb {
    pub fn create() -> Self {
        let mut admin =
            PgConnection::establish(&database_url("postgres")).expect("PostgreSQL is running");
        let template = format!("roster_tmpl_{}", migrations_fingerprint());
        // Test processes run in parallel: one builds the template, the others wait.
        admin
            .batch_execute("SELECT pg_advisory_lock(7262001)")
            .unwrap();
        let exists: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(SELECT count(*) FROM pg_database WHERE datname = '{template}')"
        )))
        .get_result(&mut admin)
        .unwrap();
        if exists == 0 {
            admin
                .batch_execute(&format!("CREATE DATABASE \"{template}\""))
                .unwrap();
            let mut conn = PgConnection::establish(&database_url(&template)).unwrap();
            if let Err(e) = roster::db::run_migrations(&mut conn) {
                drop(conn);
                admin
                    .batch_execute(&format!("DROP DATABASE \"{template}\""))
                    .unwrap();
                panic!("migrations failed: {e}");
            }
        }
        let name = format!("roster_test_{}", hex::encode(rand::random::<[u8; 8]>()));
        let created = admin.batch_execute(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ));
        admin
            .batch_execute("SELECT pg_advisory_unlock(7262001)")
            .unwrap();
        created.expect("clone the template database");
        Self {
            url: database_url(&name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&database_url("postgres")) {
            let _ = sql_query(format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    pub client: TestClient,
    /// The instance's presence fan-out: how many streams it has open.
    pub presence: Arc<roster::web::presence::Hub>,
    // Last, so it is dropped after the pool's connections are gone.
    pub db: TestDb,
}

pub fn test_settings(db: &TestDb, port: u16) -> Settings {
    let mut settings = Settings::from_env().expect("default settings");
    settings.bind = format!("127.0.0.1:{port}").parse().unwrap();
    settings.public_url = url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
    settings.database_url = db.url.clone();
    settings.db_pool_size = 4;
    settings.workers = 2;
    // The worker looks once at start; email tests poll often (`fast_outbox`), others
    // stay quiet so that statement counts see only their own requests.
    settings.outbox_poll = Duration::from_secs(3600);
    // Likewise the presence ticker: presence tests that watch thresholds
    // crossed set their own tick.
    settings.presence.tick = Duration::from_secs(3600);
    settings.outbox_retry_base = Duration::from_millis(200);
    settings.mail_dir = std::env::temp_dir().join(format!("roster-mail-{}", db.name));
    settings
}

/// Settings for tests that watch email go out.
pub fn fast_outbox(settings: &mut Settings) {
    settings.outbox_poll = Duration::from_millis(100);
}

/// Another instance of the application on the same database (for multi-instance
/// tests); returns its address.
pub async fn spawn_instance(app: &TestApp, configure: impl FnOnce(&mut Settings)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = test_settings(&app.db, port);
    configure(&mut settings);
    let instance = Application::build_on(settings, listener)
        .await
        .expect("application builds");
    tokio::spawn(instance.run_until_stopped());
    format!("http://127.0.0.1:{port}")
}

/// A real SMTP server process (Debian's python3-aiosmtpd) that stores every
/// message it accepts in a maildir, for tests to read.
pub struct SmtpServer {
    pub port: u16,
    pub dir: std::path::PathBuf,
    child: Option<std::process::Child>,
}

/// Plain SMTP to `port` on 127.0.0.1, without credentials.
pub fn smtp_on(port: u16) -> roster::config::SmtpSettings {
    roster::config::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: roster::config::SmtpTls::None,
        username: None,
        password: None,
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl SmtpServer {
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    pub async fn start_on(port: u16) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "roster-smtp-{}",
            hex::encode(rand::random::<[u8; 8]>())
        ));
        let mut server = Self {
            port,
            dir,
            child: None,
        };
        server.restart().await;
        server
    }

    /// Starts (again) on the same port and folder.
    pub async fn restart(&mut self) {
        let child = std::process::Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&self.dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd is installed (scripts/test installs it)");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP server did not start on port {}", self.port);
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn settings(&self) -> roster::config::SmtpSettings {
        smtp_on(self.port)
    }

    /// Every message received so far, raw.
    pub fn messages(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(self.dir.join(sub)) {
                for entry in entries.flatten() {
                    out.push(std::fs::read_to_string(entry.path()).unwrap_or_default());
                }
            }
        }
        out
    }

    /// Waits until at least `n` messages arrived (or 20 seconds passed).
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..400 {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.messages()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The accept link in a raw message (its first occurrence, in the text part).
pub fn invite_link(message: &str) -> String {
    link_in(message, "/invite/")
}

/// A raw message with its quoted-printable parts decoded (soft line breaks
/// joined, `=XX` turned back into bytes), so that long lines read as sent.
pub fn decode_quoted_printable(message: &str) -> String {
    let joined = message.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .filter(|h| {
                h.chars()
                    .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c))
            })
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The first link in a raw message whose path starts with `prefix`, up to the end of its token.
pub fn link_in(message: &str, prefix: &str) -> String {
    let start = message.find("http://").expect("a link in the message");
    let rest = &message[start..];
    let at = rest
        .find(prefix)
        .unwrap_or_else(|| panic!("a {prefix} link"))
        + prefix.len();
    let token: String = rest[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("{}{}", &rest[..at], token)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut settings = test_settings(&db, port);
    configure(&mut settings);
    let app = Application::build_on(settings, listener)
        .await
        .expect("application builds");
    let pool = app.pool().clone();
    let presence = app.presence_hub();
    tokio::spawn(app.run_until_stopped());
    let address = format!("http://127.0.0.1:{port}");
    TestApp {
        client: TestClient::new(&address),
        address,
        pool,
        presence,
        db,
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Runs the first-run setup as Ada, Owner of "Acme"; returns the organization id.
    pub async fn setup_owner(&self) -> i64 {
        let res = self
            .client
            .post_form(
                "/setup",
                &[
                    ("display_name", "Ada Lovelace"),
                    ("email", "ada@example.com"),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                    ("org_name", "Acme"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "setup succeeds");
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        location
            .trim_start_matches("/orgs/")
            .parse()
            .expect("lands on the organization")
    }

    /// A new client, signed in as the given account.
    pub async fn signed_in_client(&self, email: &str, password: &str) -> TestClient {
        let client = TestClient::new(&self.address);
        let res = client.sign_in(email, password).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "sign-in as {email} succeeds"
        );
        client
    }

    /// Creates an account directly in the database and makes it a member of `org`.
    pub async fn add_member(&self, org: i64, email: &str, name: &str, role: &str) -> i64 {
        let pool = self.pool.clone();
        let (email, name, role) = (email.to_owned(), name.to_owned(), role.to_owned());
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().unwrap();
            let hash = roster::services::passwords::hash(
                &roster::domain::Password::parse(PASSWORD).unwrap(),
            )
            .unwrap();
            let account = roster::db::accounts::insert(&mut conn, &email, &name, &hash).unwrap();
            roster::db::organizations::insert_membership(
                &mut conn,
                roster::domain::OrgId(org),
                account,
                roster::domain::OrgRole::parse(&role).expect("a built-in role"),
                roster::domain::MembershipStatus::Active,
            )
            .unwrap();
            account.0
        })
        .await
        .unwrap()
    }

    /// Another organization, created as the operator would; its id.
    pub async fn other_org(&self, name: &'static str) -> i64 {
        self.query(move |conn| roster::db::organizations::insert(conn, name).unwrap().id.0)
            .await
    }

    /// Runs a query on the test database.
    pub async fn query<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PgConnection) -> T + Send + 'static,
    ) -> T {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || f(&mut pool.get().unwrap()))
            .await
            .unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let sql = sql.to_owned();
        self.query(move |conn| {
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
                "({sql})"
            )))
            .get_result::<i64>(conn)
            .unwrap()
        })
        .await
    }

    /// `count(sql)` once it reaches `n`, or what it is after 15 seconds: the
    /// outbox worker records a message as sent only after the server took it.
    pub async fn count_when(&self, sql: &str, n: i64) -> i64 {
        for _ in 0..300 {
            let count = self.count(sql).await;
            if count >= n {
                return count;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.count(sql).await
    }
}

/// A browser-like HTTP client: keeps cookies, remembers the last CSRF token it
/// saw on a page, and never follows redirects, so tests can assert them.
pub struct TestClient {
    pub http: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub base: String,
    csrf: Mutex<Option<String>>,
}

impl TestClient {
    pub fn new(base: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .timeout(Duration::from_secs(30))
            .user_agent("roster-tests")
            .build()
            .unwrap();
        Self {
            http,
            jar,
            base: base.to_owned(),
            csrf: Mutex::new(None),
        }
    }

    /// The `Cookie` header this client would send.
    pub fn cookie_header(&self) -> String {
        let url = url::Url::parse(&self.base).unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request")
    }

    /// A request as htmx sends it (`HX-Request`): the one place the tests
    /// write that header.
    pub fn htmx(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("HX-Request", "true")
    }

    /// GET as htmx does, for fragments.
    pub async fn htmx_get(&self, path: &str) -> reqwest::Response {
        self.htmx(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request")
    }

    /// GET a page and return its status and body; remembers its CSRF token.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        self.remember_csrf(&body);
        (status, body)
    }

    pub fn remember_csrf(&self, body: &str) {
        if let Some(token) = extract_csrf(body) {
            *self.csrf.lock().unwrap() = Some(token);
        }
    }

    /// The CSRF token of this client's session, fetching a page if none was seen.
    pub async fn csrf(&self) -> String {
        if let Some(token) = self.csrf.lock().unwrap().clone() {
            return token;
        }
        // Signed out, the sign-in page has one; signed in, it redirects and the profile has one.
        for path in ["/signin", "/profile", "/setup"] {
            let (_, body) = self.page(path).await;
            if let Some(token) = extract_csrf(&body) {
                return token;
            }
        }
        panic!("no page carried a CSRF token")
    }

    pub fn forget_csrf(&self) {
        *self.csrf.lock().unwrap() = None;
    }

    /// POST a form with this session's CSRF token, as a plain browser form would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        let res = self
            .http
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .expect("request");
        if res.status() == StatusCode::SEE_OTHER && (path == "/signin" || path == "/setup") {
            // A new session key and token come with signing in.
            self.forget_csrf();
        }
        res
    }

    /// POST as htmx does: the token in a header, with `HX-Request`.
    pub async fn htmx_post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        self.htmx(reqwest::Method::POST, path)
            .header("X-CSRF-Token", token)
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.forget_csrf();
        let res = self
            .post_form("/signin", &[("email", email), ("password", password)])
            .await;
        self.forget_csrf();
        res
    }

    pub async fn sign_out(&self) -> reqwest::Response {
        let res = self.post_form("/signout", &[]).await;
        self.forget_csrf();
        res
    }
}

pub fn extract_csrf(body: &str) -> Option<String> {
    let marker = "name=\"csrf-token\" content=\"";
    let start = body.find(marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].to_owned())
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
