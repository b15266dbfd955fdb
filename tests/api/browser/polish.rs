//! The console polished for keyboard, screen reader and phone: axe-core on
//! every page at 1280 and 390 px in both themes, nothing wider than a phone,
//! focus after swaps, the confirmation dialog, announcements, dark mode.

use std::time::Duration;

use fantoccini::{key::Key, Client, Locator};
use serde_json::json;

use super::{axe, click, js, members_page_as_ada, screenshot, shown, text_of, Driver};
use crate::helpers::spawn_app;
use crate::members::scene::{put_in_team, sql, team};
use crate::members::{first_team, join, seed};

/// The page's width, the window's, and the innermost elements that stick out
/// of the window outside any scrolling box (to say why).
const OVERFLOW: &str = r#"
    const w = window.innerWidth;
    const clipped = e => {
        for (let p = e.parentElement; p; p = p.parentElement)
            if (getComputedStyle(p).overflowX !== 'visible') return true;
        return false;
    };
    const out = [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > w + 1 && !clipped(e)
            && ![...e.children].some(c => c.getBoundingClientRect().right > w + 1))
        .slice(0, 5).map(e => e.outerHTML.slice(0, 160));
    return [document.documentElement.scrollWidth, w, out];"#;

/// Fails unless the page fits the window's width (WCAG 1.4.10, reflow).
async fn assert_no_sideways_scroll(browser: &Client, page: &str) {
    let sizes = js(browser, OVERFLOW, vec![]).await;
    let (scroll, inner) = (sizes[0].as_i64().unwrap(), sizes[1].as_i64().unwrap());
    assert!(
        scroll <= inner,
        "{page} is {scroll} px wide in a {inner} px window: {:#?}",
        sizes[2]
    );
}

/// Sizes the window so that its viewport (what the page sees) is `width` by `height`.
async fn set_viewport(browser: &Client, width: u32, height: u32) {
    browser.set_window_size(width, height).await.unwrap();
    let chrome = js(
        browser,
        "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight];",
        vec![],
    )
    .await;
    let extra = |i: usize| chrome[i].as_u64().unwrap_or(0) as u32;
    browser
        .set_window_size(width + extra(0), height + extra(1))
        .await
        .unwrap();
}

async fn set_theme(browser: &Client, theme: &str) {
    js(
        browser,
        "document.documentElement.setAttribute('data-theme', arguments[0]); return null;",
        vec![json!(theme)],
    )
    .await;
}

/// What `document.activeElement` is, as `tag#id.class`.
async fn focused(browser: &Client) -> String {
    let v = js(browser, "const e = document.activeElement; \
             return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '');",
            vec![]).await;
    v.as_str().unwrap().to_owned()
}

/// Waits until the focused element's description contains `wanted`.
async fn wait_for_focus(browser: &Client, wanted: &str) -> String {
    for _ in 0..100 {
        let now = focused(browser).await;
        if now.contains(wanted) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "focus never reached {wanted}; it is on {}",
        focused(browser).await
    );
}

async fn body_background(browser: &Client) -> String {
    js(
        browser,
        "return getComputedStyle(document.body).backgroundColor;",
        vec![],
    )
    .await
    .as_str()
    .unwrap()
    .to_owned()
}

#[tokio::test]
async fn every_page_passes_axe_and_fits_a_phone_in_both_themes() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 30, 2).await;
    let team = first_team(&app, org).await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    let pages = [
        ("home", format!("/orgs/{org}")),
        ("members", format!("/orgs/{org}/members")),
        ("teams", format!("/orgs/{org}/teams")),
        ("team", format!("/orgs/{org}/teams/{team}")),
        ("settings-general", format!("/orgs/{org}/settings/general")),
        (
            "settings-features",
            format!("/orgs/{org}/settings/features"),
        ),
        ("settings-plan", format!("/orgs/{org}/settings/plan")),
        ("roles", format!("/orgs/{org}/settings/roles")),
        ("profile", "/profile".to_owned()),
        ("not-found", format!("/orgs/{org}/teams/999999")),
    ];
    for (name, path) in &pages {
        browser.set_window_size(1280, 900).await.unwrap();
        browser
            .goto(&format!("{}{path}", app.address))
            .await
            .unwrap();
        screenshot(&browser, &format!("polish-{name}")).await;
        set_theme(&browser, "dark").await;
        screenshot(&browser, &format!("polish-{name}-dark")).await;
        set_theme(&browser, "light").await;
        browser.set_window_size(390, 844).await.unwrap();
        screenshot(&browser, &format!("polish-{name}-390")).await;
        assert_no_sideways_scroll(&browser, path).await;
    }

    // At 390 px the navigation folds behind Menu, which opens it.
    browser
        .goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();
    let nav = browser.find(Locator::Css(".sidenav")).await.unwrap();
    assert!(!nav.is_displayed().await.unwrap());
    let menu = browser.find(Locator::Css(".nav-toggle")).await.unwrap();
    assert_eq!(menu.attr("aria-expanded").await.unwrap().unwrap(), "false");
    menu.click().await.unwrap();
    assert!(nav.is_displayed().await.unwrap());
    assert_eq!(menu.attr("aria-expanded").await.unwrap().unwrap(), "true");
    assert_no_sideways_scroll(&browser, "members with the menu open").await;
    screenshot(&browser, "polish-members-390-menu").await;

    // 200 % zoom of a 1280 px window is a 640 px one: still no sideways scroll.
    browser.set_window_size(640, 900).await.unwrap();
    for (_, path) in &pages {
        browser
            .goto(&format!("{}{path}", app.address))
            .await
            .unwrap();
        assert_no_sideways_scroll(&browser, path).await;
    }
    browser.close().await.unwrap();
}

#[tokio::test]
async fn by_keyboard_alone_the_inline_edit_opens_saves_and_cancels_and_focus_follows() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let bob = join(&app, org, "bob@example.com", "Bob Builder", "member").await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    let row = format!("#member-{bob}");
    let enter = char::from(Key::Enter).to_string();

    // Enter on the pencil opens the form; focus lands on its first field.
    let pencil = browser
        .find(Locator::Css(&format!("{row} .pencil")))
        .await
        .unwrap();
    pencil.send_keys(&enter).await.unwrap();
    wait_for_focus(&browser, &format!("select#role-{bob}")).await;
    screenshot(&browser, "polish-inline-edit").await;
    let height = js(
        &browser,
        "return document.querySelector(arguments[0]).getBoundingClientRect().height;",
        vec![json!(row)],
    )
    .await;
    assert!(
        height.as_f64().unwrap() < 500.0,
        "the editor stays compact: {height} px"
    );

    // Change the role from the keyboard and save with Enter on Save.
    let select = browser
        .find(Locator::Css(&format!("select#role-{bob}")))
        .await
        .unwrap();
    select.select_by_value("manager").await.unwrap();
    browser
        .find(Locator::Css(&format!("{row} button[type=submit]")))
        .await
        .unwrap()
        .send_keys(&enter)
        .await
        .unwrap();
    // The saved row comes back with focus on its pencil.
    wait_for_focus(&browser, "a.pencil").await;
    assert_eq!(
        text_of(&browser, &format!("{row} td.role")).await,
        "Manager"
    );

    // Open again and Escape: the row is back and so is the focus.
    browser
        .find(Locator::Css(&format!("{row} .pencil")))
        .await
        .unwrap()
        .send_keys(&enter)
        .await
        .unwrap();
    wait_for_focus(&browser, &format!("select#role-{bob}")).await;
    browser
        .find(Locator::Css(&format!("select#role-{bob}")))
        .await
        .unwrap()
        .send_keys(&char::from(Key::Escape).to_string())
        .await
        .unwrap();
    wait_for_focus(&browser, "a.pencil").await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND role = 'manager'"
        ))
        .await,
        1
    );
    browser.close().await.unwrap();
}

#[tokio::test]
async fn in_the_inline_edit_a_teams_groups_are_chips_beside_its_role_found_by_typing() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let bob = join(&app, org, "bob@example.com", "Bob Builder", "member").await;
    let support = team(&app, org, "Support").await;
    put_in_team(&app, org, support, bob, "agent").await;
    let names = [
        "Billing",
        "Returns",
        "Shipping",
        "Warranty",
        "Refunds",
        "Accounts",
        "Escalations",
        "Night shift",
    ];
    let values: Vec<String> = names
        .iter()
        .map(|n| format!("({org}, {support}, '{n}')"))
        .collect();
    sql(
        &app,
        format!(
            "INSERT INTO groups (organization_id, team_id, name) VALUES {}",
            values.join(", ")
        ),
    )
    .await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    let row = format!("#member-{bob}");
    click(&browser, &format!("{row} .pencil")).await;
    shown(&browser, &format!("{row} .picks")).await;

    // The team's role and its eight groups sit on one line of the editor.
    let picks = browser
        .find_all(Locator::Css(&format!("{row} .team-pick .pick")))
        .await
        .unwrap();
    assert_eq!(picks.len(), names.len());
    let aligned = js(
        &browser,
        "const p = document.querySelector(arguments[0] + ' .team-pick');
         const s = p.querySelector('select').getBoundingClientRect();
         const c = p.querySelector('.pick').getBoundingClientRect();
         return [c.left > s.right, Math.abs(c.top - s.top) < 40];",
        vec![json!(row)],
    )
    .await;
    assert_eq!(aligned, json!([true, true]), "chips beside the role select");
    screenshot(&browser, "polish-inline-edit-groups").await;
    axe::audit(&browser, "inline edit with group chips").await;

    // Typing narrows the chips; Enter there does not save the form.
    let filter = browser
        .find(Locator::Css(&format!("{row} [data-pick-filter]")))
        .await
        .unwrap();
    filter.send_keys("re").await.unwrap();
    let visible = js(
        &browser,
        "return [...document.querySelectorAll(arguments[0] + ' .pick')]
             .filter(p => !p.hidden).map(p => p.textContent.trim());",
        vec![json!(row)],
    )
    .await;
    assert_eq!(visible, json!(["Refunds", "Returns"]), "in name order");
    filter
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM group_members gm JOIN team_memberships tm
             ON tm.id = gm.team_membership_id WHERE tm.membership_id = {bob}"
        ))
        .await,
        0
    );
    filter.send_keys("xyz").await.unwrap();
    assert!(shown(&browser, &format!("{row} .pick-none"))
        .await
        .is_displayed()
        .await
        .unwrap());
    // Escape clears the filter first and leaves the editor open.
    filter
        .send_keys(&char::from(Key::Escape).to_string())
        .await
        .unwrap();
    assert_eq!(filter.prop("value").await.unwrap().unwrap(), "");
    assert!(browser
        .find(Locator::Css(&format!("{row} .picks")))
        .await
        .is_ok());

    // Space on a chip picks it, by keyboard alone (the first is Accounts), a
    // click picks another; Save keeps both.
    let first = format!("{row} .pick input[type=checkbox]");
    browser
        .find(Locator::Css(&first))
        .await
        .unwrap()
        .send_keys(" ")
        .await
        .unwrap();
    browser
        .find(Locator::XPath(&format!(
            "//tr[@id='member-{bob}']//label[contains(@class, 'pick')][normalize-space() = 'Shipping']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    screenshot(&browser, "polish-inline-edit-groups-picked").await;
    click(&browser, &format!("{row} button[type=submit]")).await;
    wait_for_focus(&browser, "a.pencil").await;
    let chosen = app
        .count(&format!(
            "SELECT count(*) FROM group_members gm JOIN team_memberships tm
             ON tm.id = gm.team_membership_id JOIN groups g ON g.id = gm.group_id
             WHERE tm.membership_id = {bob} AND g.name IN ('Accounts', 'Shipping')"
        ))
        .await;
    assert_eq!(chosen, 2);

    // At 390 px the editor is one column and nothing sticks out.
    set_viewport(&browser, 390, 844).await;
    click(&browser, &format!("{row} .pencil")).await;
    shown(&browser, &format!("{row} .picks")).await;
    js(
        &browser,
        "document.querySelector(arguments[0]).scrollIntoView(); return null;",
        vec![json!(format!("{row} .teams-groups"))],
    )
    .await;
    screenshot(&browser, "polish-inline-edit-groups-390").await;
    assert_no_sideways_scroll(&browser, "members with the editor open").await;
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_bulk_role_change_says_what_it_will_do_in_a_dialog_before_doing_it() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let bob = join(&app, org, "bob@example.com", "Bob", "member").await;
    let cy = join(&app, org, "cy@example.com", "Cy", "member").await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    let admins = "SELECT count(*) FROM memberships WHERE role = 'admin'";

    // Nothing is chosen for them.
    let role = browser.find(Locator::Css("#bulk-role")).await.unwrap();
    assert_eq!(role.prop("value").await.unwrap().unwrap(), "");
    for id in [bob, cy] {
        click(&browser, &format!("#member-{id} input[name=ids]")).await;
    }
    assert_eq!(text_of(&browser, "#bulk-count").await, "2 selected");
    role.select_by_value("admin").await.unwrap();
    let apply = browser
        .find(Locator::Css("#bulk-form button[type=submit]"))
        .await
        .unwrap();
    apply.click().await.unwrap();

    let dialog = shown(&browser, "#confirm-dialog[open]").await;
    assert_eq!(
        text_of(&browser, "#confirm-message").await,
        "Change the organization role of 2 members to Admin?"
    );
    assert_eq!(
        focused(&browser).await,
        "button.button",
        "Cancel has the focus"
    );
    screenshot(&browser, "polish-bulk-confirm").await;

    // Escape cancels: nothing changes and focus goes back to the button.
    dialog
        .send_keys(&char::from(Key::Escape).to_string())
        .await
        .unwrap();
    wait_for_focus(&browser, "button.button primary").await;
    assert!(!dialog.is_displayed().await.unwrap());
    assert_eq!(app.count(admins).await, 0);

    // Confirmed, it happens.
    apply.click().await.unwrap();
    shown(&browser, "#confirm-dialog[open] #confirm-ok")
        .await
        .click()
        .await
        .unwrap();
    assert_eq!(app.count_when(admins, 2).await, 2);
    browser.close().await.unwrap();
}

#[tokio::test]
async fn search_results_are_announced_and_paging_brings_focus_to_the_table() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 120, 1).await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;

    let search = browser.find(Locator::Css("#f-q")).await.unwrap();
    search.send_keys("ada@").await.unwrap();
    let mut said = String::new();
    for _ in 0..100 {
        said = js(
            &browser,
            "const a = document.getElementById('announcer'); return a ? a.textContent : '';",
            vec![],
        )
        .await
        .as_str()
        .unwrap()
        .to_owned();
        if said.starts_with("1 member matching") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(said.starts_with("1 member matching"), "announced: {said:?}");
    assert_eq!(
        focused(&browser).await,
        "input#f-q",
        "typing keeps its focus"
    );

    browser
        .goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();
    click(&browser, "a[rel=next]").await;
    wait_for_focus(&browser, "table-summary").await;
    assert!(text_of(&browser, ".table-summary").await.contains("page 2"));
    assert_eq!(text_of(&browser, ".pager span").await, "51–100 of 121");
    // Last seen reads as a relative time, the exact one on hover: with
    // Presence on (the default) in the row's dot.
    let seen = shown(&browser, ".member-row .presence").await;
    assert!(seen.text().await.unwrap().ends_with("ago"));
    assert!(seen.attr("title").await.unwrap().unwrap().ends_with("UTC"));
    axe::audit(&browser, "members page 2").await;
    browser.close().await.unwrap();
}

#[tokio::test]
async fn dark_mode_follows_the_system_until_the_profile_menu_switch_picks_one() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let driver = Driver::start().await;
    // A browser whose system asks for dark pages.
    let browser = driver.browser_with(&["--force-dark-mode"]).await;
    super::sign_in_in_browser(&browser, &app.address, "ada@example.com").await;
    browser
        .goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();
    let dark = "rgb(20, 23, 28)";
    let light = "rgb(246, 247, 249)";
    assert_eq!(body_background(&browser).await, dark, "the system's choice");
    screenshot(&browser, "polish-members-dark").await;

    let toggle = |browser: &Client| {
        let browser = browser.clone();
        async move {
            let menu = browser.find(Locator::Css(".user-menu")).await.unwrap();
            if menu.attr("open").await.unwrap().is_none() {
                click(&browser, ".user-menu summary").await;
            }
            let button = browser.find(Locator::Css("#theme-toggle")).await.unwrap();
            button.click().await.unwrap();
            button.text().await.unwrap()
        }
    };
    assert_eq!(toggle(&browser).await, "Theme: dark");
    assert_eq!(toggle(&browser).await, "Theme: light");
    assert_eq!(body_background(&browser).await, light);
    // The choice outlives the page.
    browser.refresh().await.unwrap();
    assert_eq!(body_background(&browser).await, light);
    screenshot(&browser, "polish-members-light-chosen").await;
    assert_eq!(toggle(&browser).await, "Theme: system");
    assert_eq!(body_background(&browser).await, dark);
    browser.close().await.unwrap();
}

/// How many members rows are wholly inside the window once the table's
/// heading is at its top, of how many, and the emails and last-seen times
/// that take more than one line.
const ROWS_ON_SCREEN: &str = r#"
    document.querySelector('#members-table table').scrollIntoView({ block: 'start' });
    const h = window.innerHeight;
    const rows = [...document.querySelectorAll('#members-table tr.member-row')];
    const inside = rows.filter(r => { const b = r.getBoundingClientRect(); return b.top >= 0 && b.bottom <= h; });
    const lines = e => e.getClientRects().length;
    const wrapped = [...document.querySelectorAll('#members-table tr.member-row td:nth-child(2) .muted, #members-table tr.member-row td.seen :is(.presence-seen, time)')]
        .filter(e => lines(e) > 1 || e.getBoundingClientRect().height > 1.8 * parseFloat(getComputedStyle(e).lineHeight))
        .map(e => e.outerHTML.slice(0, 120));
    return [inside.length, rows.length, wrapped, h];"#;

#[tokio::test]
async fn the_members_table_shows_a_dozen_rows_a_screen_with_emails_on_one_line() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 50, 2).await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    set_viewport(&browser, 1280, 900).await;
    browser
        .goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();

    let seen = js(&browser, ROWS_ON_SCREEN, vec![]).await;
    screenshot(&browser, "polish-members-compact").await;
    let (inside, rows) = (seen[0].as_i64().unwrap(), seen[1].as_i64().unwrap());
    assert_eq!(rows, 50, "a full page");
    assert!(inside >= 12, "{inside} rows fit a {} px window", seen[3]);
    assert_eq!(seen[2], json!([]), "emails and times on one line");
    browser.close().await.unwrap();
}

#[tokio::test]
async fn the_headings_sort_the_table_in_place_and_the_address_keeps_the_sort() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 30, 1).await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    super::mark_page(&browser, "same page").await;
    let aria_sort = |id: &'static str| {
        let browser = browser.clone();
        async move {
            js(
                &browser,
                "const l = document.getElementById(arguments[0]); return l && l.closest('th').getAttribute('aria-sort');",
                vec![json!(id)],
            )
            .await
        }
    };
    assert_eq!(aria_sort("sort-name").await, json!("ascending"));
    assert_eq!(aria_sort("sort-last-seen").await, json!("none"));
    let first = text_of(&browser, "#members-table tr.member-row .member-link").await;

    // Name again: Z to A, in place, and the address says so.
    click(&browser, "#sort-name").await;
    for _ in 0..100 {
        if aria_sort("sort-name").await == json!("descending") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(aria_sort("sort-name").await, json!("descending"));
    assert_ne!(
        text_of(&browser, "#members-table tr.member-row .member-link").await,
        first
    );
    assert_eq!(super::query_of(&browser).await, "sort=-name");
    wait_for_focus(&browser, "a#sort-name").await;
    // The filters' Sort follows, so filtering next keeps the order.
    let sort = browser.find(Locator::Css("#f-sort")).await.unwrap();
    assert_eq!(sort.prop("value").await.unwrap().unwrap(), "-name");
    screenshot(&browser, "polish-members-sorted-by-heading").await;

    // Last seen: most recent first; by keyboard.
    browser
        .find(Locator::Css("#sort-last-seen"))
        .await
        .unwrap()
        .send_keys(&char::from(Key::Enter).to_string())
        .await
        .unwrap();
    for _ in 0..100 {
        if aria_sort("sort-last-seen").await == json!("descending") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(aria_sort("sort-last-seen").await, json!("descending"));
    assert_eq!(aria_sort("sort-name").await, json!("none"));
    assert_eq!(super::query_of(&browser).await, "sort=last_seen");
    browser
        .find(Locator::Css("#f-role"))
        .await
        .unwrap()
        .select_by_value("member")
        .await
        .unwrap();
    for _ in 0..100 {
        if super::query_of(&browser).await.contains("role=member") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let query = super::query_of(&browser).await;
    assert!(query.contains("sort=last_seen"), "{query}");
    assert_eq!(super::page_marker(&browser).await, json!("same page"));
    browser.close().await.unwrap();
}

/// For the first grid's custom role `id`: whether the grid scrolls sideways,
/// and after scrolling it to the far left and the middle, the gaps between
/// the grid's visible edges and the role's name (left) and Edit and Delete
/// (right), in px (≤ 0 when inside).
const ROLE_EDGES: &str = r#"
    const row = document.getElementById(arguments[0]);
    const box = row.closest('.table-scroll');
    const edges = () => {
        const b = box.getBoundingClientRect();
        const name = row.querySelector('th').getBoundingClientRect();
        const actions = [...row.querySelectorAll('.role-actions .button')].map(e => e.getBoundingClientRect());
        return [b.left - name.left, Math.max(...actions.map(a => a.right)) - b.right,
                Math.max(...actions.map(a => a.right)) - window.innerWidth];
    };
    box.scrollLeft = 0;
    const start = edges();
    box.scrollLeft = (box.scrollWidth - box.clientWidth) / 2;
    const middle = edges();
    return [box.scrollWidth > box.clientWidth + 1, start, middle];"#;

#[tokio::test]
async fn the_roles_grid_keeps_each_roles_name_and_its_edit_and_delete_in_view() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let role = crate::members::auditor_role(&app, org).await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    set_viewport(&browser, 1280, 900).await;
    browser
        .goto(&format!("{}/orgs/{org}/settings/roles", app.address))
        .await
        .unwrap();

    let seen = js(&browser, ROLE_EDGES, vec![json!(format!("role-{role}"))]).await;
    assert_eq!(seen[0], json!(true), "the grid is wider than its card");
    for (when, edges) in [("at the start", &seen[1]), ("scrolled", &seen[2])] {
        let gap = |i: usize| edges[i].as_f64().unwrap();
        assert!(
            gap(0) <= 0.5,
            "{when}: the name is cut off by {} px",
            gap(0)
        );
        assert!(
            gap(1) <= 0.5,
            "{when}: Edit/Delete are {} px out of the grid",
            gap(1)
        );
        assert!(
            gap(2) <= 0.5,
            "{when}: Edit/Delete are {} px out of the window",
            gap(2)
        );
    }
    screenshot(&browser, "polish-roles-sticky").await;
    browser.close().await.unwrap();
}

/// Makes the page's next htmx request fail as if the network were down: it
/// goes to a port nobody listens on (the page's CSP refuses it too). Later
/// requests go through.
const FAIL_NEXT_REQUEST: &str = r#"
    const open = XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.open = function (method, url, ...rest) {
        XMLHttpRequest.prototype.open = open;
        return open.call(this, method, 'http://127.0.0.1:9/unreachable', ...rest);
    };
    return null;"#;

/// Holds every request of the page for `arguments[0]` ms before sending it.
const SLOW_REQUESTS: &str = r#"
    const send = XMLHttpRequest.prototype.send;
    const wait = arguments[0];
    XMLHttpRequest.prototype.send = function (...args) { setTimeout(() => send.apply(this, args), wait); };
    return null;"#;

#[tokio::test]
async fn a_request_that_cannot_reach_roster_says_so_and_retry_sends_it_again() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 5, 1).await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    js(&browser, FAIL_NEXT_REQUEST, vec![]).await;

    click(&browser, "#sort-name").await;
    let toast = shown(&browser, "#toasts .toast-error .toast-retry").await;
    assert!(text_of(&browser, "#toasts .toast-error")
        .await
        .contains("Roster could not be reached."));
    wait_for_focus(&browser, "button.button small toast-retry").await;
    // Nothing changed: the table still lists A to Z.
    let sort = browser.find(Locator::Css("#sort-name")).await.unwrap();
    let th = sort.find(Locator::XPath("./ancestor::th")).await.unwrap();
    assert_eq!(th.attr("aria-sort").await.unwrap().unwrap(), "ascending");
    screenshot(&browser, "polish-network-toast").await;

    // Retry sends the same request, which now goes through.
    toast.click().await.unwrap();
    for _ in 0..100 {
        let now = js(
            &browser,
            "return document.getElementById('sort-name').closest('th').getAttribute('aria-sort');",
            vec![],
        )
        .await;
        if now == json!("descending") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(super::query_of(&browser).await, "sort=-name");
    assert!(browser
        .find_all(Locator::Css("#toasts .toast-retry"))
        .await
        .unwrap()
        .is_empty());
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_slow_request_shows_the_loading_bar_and_disables_its_button_until_it_ends() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 5, 1).await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    let state = "const b = document.querySelector('#member-filters button[type=submit]'); \
        return [document.documentElement.classList.contains('is-loading'), b.disabled, \
                getComputedStyle(document.documentElement, '::before').height];";
    assert_eq!(
        js(&browser, state, vec![]).await,
        json!([false, false, "auto"])
    );
    js(&browser, SLOW_REQUESTS, vec![json!(1500)]).await;

    click(&browser, "#member-filters button[type=submit]").await;
    // Past 150 ms and before the answer: the bar shows, the button waits.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        js(&browser, state, vec![]).await,
        json!([true, true, "3px"])
    );
    screenshot(&browser, "polish-loading-bar").await;
    let mut done = json!(null);
    for _ in 0..100 {
        done = js(&browser, state, vec![]).await;
        if done[0] == json!(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        done,
        json!([false, false, "auto"]),
        "all back once answered"
    );
    browser.close().await.unwrap();
}
