//! Browser tests: headless Chromium (Debian's `chromium` and `chromium-driver`)
//! driven over WebDriver. Screenshots land in `target/screenshots/`; every
//! screenshot is also an axe-core audit of the page it shows.

use std::{
    net::TcpListener,
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{spawn_app, PASSWORD};

mod audit;
pub mod axe;
mod contacts;
mod invitations;
mod invite_dialog;
mod joining;
mod lifecycle;
mod outages;
mod polish;
mod presence;

/// A chromedriver process on a free port, stopped on drop with every Chromium
/// it started: it runs in a process group of its own, which its browsers join,
/// and the whole group is killed (killing chromedriver alone left its browsers
/// running, some hundred processes after a full test run).
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub async fn start() -> Self {
        let binary =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&binary)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{binary} could not start ({e}); `.ci/run` installs chromium-driver")
            });
        // From here on, Drop stops the process whatever happens.
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..100 {
            if reqwest::get(format!("{}/status", driver.url)).await.is_ok() {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not come up on {}", driver.url);
    }

    pub async fn browser(&self) -> Client {
        self.browser_with(&[]).await
    }

    /// A browser started with these extra Chromium flags.
    pub async fn browser_with(&self, extra: &[&str]) -> Client {
        let profile = std::env::temp_dir().join(format!(
            "roster-chrome-{}",
            hex::encode(rand::random::<[u8; 6]>())
        ));
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
        ]
        .iter()
        .chain(extra)
        .map(|a| a.to_string())
        .collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": args,
            }),
        );
        ClientBuilder::native()
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Audits the page with axe-core (see [`axe::audit`]), then saves it as `name`.png.
pub async fn screenshot(browser: &Client, name: &str) {
    axe::audit(browser, name).await;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = browser.screenshot().await.unwrap();
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

pub async fn fill(browser: &Client, css: &str, value: &str) {
    let field = browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} exists"));
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

pub async fn wait_for_path(browser: &Client, wanted: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        let url = browser.current_url().await.unwrap();
        if wanted(url.path()) {
            return url.path().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the browser stayed on {}",
        browser.current_url().await.unwrap()
    );
}

/// The element `css` finds, once it is there (at most 10 seconds).
pub async fn shown(browser: &Client, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} never appeared"))
}

pub async fn text_of(browser: &Client, css: &str) -> String {
    shown(browser, css).await.text().await.unwrap()
}

#[tokio::test]
async fn an_owner_sets_up_roster_signs_out_and_in_and_toggles_a_feature_in_place() {
    let app = spawn_app().await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;

    // First run: every page leads to setup.
    browser.goto(&app.address).await.unwrap();
    assert_eq!(wait_for_path(&browser, |p| p == "/setup").await, "/setup");
    screenshot(&browser, "01-setup").await;
    fill(&browser, "#f-display_name", "Ada Lovelace").await;
    fill(&browser, "#f-email", "ada@example.com").await;
    fill(&browser, "#f-password", PASSWORD).await;
    fill(&browser, "#f-password_confirm", "not the same password").await;
    fill(&browser, "#f-org_name", "Acme").await;
    browser
        .find(Locator::Css("#setup-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The mismatch comes back inline, next to its field.
    assert_eq!(
        text_of(&browser, "#password_confirm-error").await,
        "The two passwords do not match."
    );
    fill(&browser, "#f-password", PASSWORD).await;
    fill(&browser, "#f-password_confirm", PASSWORD).await;
    browser
        .find(Locator::Css("#setup-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let home = wait_for_path(&browser, |p| p.starts_with("/orgs/")).await;
    assert!(text_of(&browser, "main h1").await.contains("Acme"));
    screenshot(&browser, "02-organization-home").await;

    // Sign out from the user menu, and back in.
    browser
        .find(Locator::Css(".user-menu summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .find(Locator::Css(".user-menu button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&browser, |p| p == "/signin").await;
    fill(&browser, "#f-email", "ada@example.com").await;
    fill(&browser, "#f-password", "wrong password, surely").await;
    browser
        .find(Locator::Css("#signin-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, "#signin-error").await,
        "That email and password do not match an account."
    );
    screenshot(&browser, "03-signin-error").await;
    fill(&browser, "#f-password", PASSWORD).await;
    browser
        .find(Locator::Css("#signin-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        wait_for_path(&browser, |p| p.starts_with("/orgs/")).await,
        home
    );

    // Settings pages, each saved for a person to look at.
    browser
        .goto(&format!("{}{home}/settings/general", app.address))
        .await
        .unwrap();
    screenshot(&browser, "04-settings-general").await;
    browser
        .goto(&format!("{}{home}/settings/plan", app.address))
        .await
        .unwrap();
    screenshot(&browser, "05-settings-plan").await;
    browser
        .goto(&format!("{}{home}/settings/features", app.address))
        .await
        .unwrap();
    screenshot(&browser, "06-settings-features").await;

    // Toggle Groups off: htmx swaps the row; the page itself never reloads.
    assert_eq!(text_of(&browser, "#feature-groups .badge").await, "On");
    mark_page(&browser, "still here").await;
    browser
        .find(Locator::Css("#feature-groups button.switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // Turning a feature off asks first, in a dialog.
    let ok = shown(&browser, "#confirm-dialog[open] #confirm-ok").await;
    assert!(text_of(&browser, "#confirm-message")
        .await
        .contains("Turn Groups off"));
    screenshot(&browser, "06b-settings-feature-confirm").await;
    ok.click().await.unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#feature-groups .badge[data-state=off]"))
        .await
        .expect("the row shows Off");
    let marker = page_marker(&browser).await;
    assert_eq!(marker, json!("still here"), "no page load happened");
    assert!(text_of(&browser, "#toasts")
        .await
        .contains("Groups disabled."));
    // The Pro-only toggle is disabled on Free, with the reason beside it.
    let pro = browser
        .find(Locator::Css("#feature-user_management button.switch"))
        .await
        .unwrap();
    assert!(!pro.is_enabled().await.unwrap());
    assert!(text_of(&browser, "#feature-user_management")
        .await
        .contains("Needs the Pro plan"));
    screenshot(&browser, "07-settings-features-toggled").await;
    assert_eq!(
        app.count(
            "SELECT count(*) FROM organization_features WHERE feature = 'groups' AND NOT enabled"
        )
        .await,
        1
    );

    browser.close().await.unwrap();
}

/// Ada, the Owner `setup_owner` makes, signed in on the members page of `org`
/// (the driver stops when dropped).
async fn members_page_as_ada(app: &crate::helpers::TestApp, org: i64) -> (Driver, Client) {
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    sign_in_in_browser(&browser, &app.address, "ada@example.com").await;
    browser
        .goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();
    (driver, browser)
}

pub async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} exists"))
        .click()
        .await
        .unwrap();
}

/// Runs a script in the page and returns what it returns.
pub async fn js(browser: &Client, script: &str, args: Vec<serde_json::Value>) -> serde_json::Value {
    browser.execute(script, args).await.unwrap()
}

/// Marks the page the browser shows: a page load would drop the mark, an htmx
/// swap keeps it (see [`page_marker`]).
async fn mark_page(browser: &Client, mark: &str) {
    js(
        browser,
        "window.rosterMarker = arguments[0]; return null;",
        vec![json!(mark)],
    )
    .await;
}

/// The page's mark from [`mark_page`], or null after a page load.
async fn page_marker(browser: &Client) -> serde_json::Value {
    js(browser, "return window.rosterMarker || null;", vec![]).await
}

async fn sign_in_in_browser(browser: &Client, address: &str, email: &str) {
    browser.goto(&format!("{address}/signin")).await.unwrap();
    fill(browser, "#f-email", email).await;
    fill(browser, "#f-password", PASSWORD).await;
    browser
        .find(Locator::Css("#signin-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(browser, |p| p.starts_with("/orgs/")).await;
}

#[tokio::test]
async fn a_manager_hovers_a_row_edits_it_in_place_and_escape_restores_it() {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction};
    use fantoccini::key::Key;

    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "bob@example.com", "Bob Builder", "member")
        .await;
    let bob = app
        .count("SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'bob@example.com'")
        .await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    screenshot(&browser, "10-members").await;

    // A usable pencil shows without hovering (touch screens have no hover);
    // hovering the row leaves it in place.
    let row = format!("#member-{bob}");
    let pencil = browser
        .find(Locator::Css(&format!("{row} .pencil")))
        .await
        .unwrap();
    assert_eq!(pencil.css_value("opacity").await.unwrap(), "1");
    let cell = browser
        .find(Locator::Css(&format!("{row} td.role")))
        .await
        .unwrap();
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: cell,
        duration: None,
        x: 0.0,
        y: 0.0,
    });
    browser.perform_actions(hover).await.unwrap();
    assert_eq!(pencil.css_value("opacity").await.unwrap(), "1");
    // Ada's own row shows why she cannot edit herself.
    assert!(browser
        .source()
        .await
        .unwrap()
        .contains("You cannot change your own access"));

    mark_page(&browser, "same page").await;
    pencil.click().await.unwrap();
    let select = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("{row}.editing select[name=role]")))
        .await
        .unwrap();
    screenshot(&browser, "11-members-inline-edit").await;
    select.select_by_value("manager").await.unwrap();
    browser
        .find(Locator::Css(&format!("{row} button[type=submit]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("{row}:not(.editing) td.role")))
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, &format!("{row} td.role")).await,
        "Manager"
    );
    assert!(text_of(&browser, "#toasts")
        .await
        .contains("Saved Bob Builder."));
    screenshot(&browser, "12-members-saved").await;

    // Open again, then Escape: the row comes back unchanged.
    browser
        .find(Locator::Css(&format!("{row} .pencil")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let select = browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("{row}.editing select[name=role]")))
        .await
        .unwrap();
    select
        .send_keys(&char::from(Key::Escape).to_string())
        .await
        .unwrap();
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("{row}:not(.editing) td.role")))
        .await
        .unwrap();
    let marker = page_marker(&browser).await;
    assert_eq!(
        marker,
        json!("same page"),
        "only rows were swapped, never the page"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND role = 'manager'"
        ))
        .await,
        1
    );
    browser.close().await.unwrap();
}

/// Waits until the members table says it shows `page`, and returns the id of
/// its first row.
async fn members_table_at(browser: &Client, page: &str) -> String {
    // Read in one script: htmx may swap the table between two WebDriver calls.
    const READ: &str = "const s = document.querySelector('#members-table .table-summary'); \
        const r = document.querySelector('#members-table tr.member-row'); \
        return s && r ? [s.textContent, r.id] : null;";
    for _ in 0..100 {
        let seen = browser.execute(READ, vec![]).await.unwrap();
        if let Some([summary, first]) = seen.as_array().map(Vec::as_slice) {
            if summary.as_str().unwrap_or("").contains(page) {
                return first.as_str().unwrap().to_owned();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the members table never showed {page}");
}

/// The query string of the address the browser shows.
async fn query_of(browser: &Client) -> String {
    let url = browser.current_url().await.unwrap();
    url.query().unwrap_or("").to_owned()
}

#[tokio::test]
async fn next_and_previous_swap_the_table_and_the_address_keeps_the_page() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    crate::members::seed(&app, org, 120, 2).await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    let first_on_1 = members_table_at(&browser, "page 1 of 3").await;
    mark_page(&browser, "same page").await;
    let click = |rel: &'static str| {
        let browser = &browser;
        async move {
            browser
                .find(Locator::Css(&format!("a[rel={rel}]")))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
    };

    click("next").await;
    let first_on_2 = members_table_at(&browser, "page 2 of 3").await;
    assert_ne!(first_on_2, first_on_1);
    let query = query_of(&browser).await;
    assert!(
        query.starts_with("after=") && query.ends_with("&page=2"),
        "{query}"
    );
    click("next").await;
    members_table_at(&browser, "page 3 of 3").await;
    click("prev").await;
    assert_eq!(members_table_at(&browser, "page 2 of 3").await, first_on_2);
    let query = query_of(&browser).await;
    assert!(
        query.starts_with("before=") && query.ends_with("&page=2"),
        "{query}"
    );
    let marker = page_marker(&browser).await;
    assert_eq!(marker, json!("same page"), "only the table was swapped");

    // The address is the page: opened afresh, it shows the same members.
    let here = browser.current_url().await.unwrap().to_string();
    browser.goto(&here).await.unwrap();
    assert_eq!(members_table_at(&browser, "page 2 of 3").await, first_on_2);
    screenshot(&browser, "13-members-page-2").await;
    click("prev").await;
    assert_eq!(members_table_at(&browser, "page 1 of 3").await, first_on_1);
    browser.close().await.unwrap();
}
