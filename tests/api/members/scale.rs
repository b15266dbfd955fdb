//! A large organization's members list: a new search reads only what it must
//! (the trigram index for a rare one, a sample for a common one), and a count
//! that is an estimate says so, on the page and in the API.

use super::*;
use crate::api::{api, enable_api, make_token};

/// The number in a summary like "about 14,000 members matching …".
fn about(summary: &str) -> i64 {
    let number = summary
        .strip_prefix("about ")
        .unwrap_or_else(|| panic!("not an estimate: {summary:?}"))
        .split(' ')
        .next()
        .unwrap();
    number.replace(',', "").parse().unwrap()
}

#[tokio::test]
async fn in_an_organization_of_60000_a_common_new_search_is_an_estimate_that_says_so() {
    let (app, org) = owner().await;
    enable_api(&app, org).await;
    seed(&app, org, 60_000, 0).await;
    let path = format!("/orgs/{org}/members");
    // A page of the list tells this server how large the organization is.
    let (_, first) = app.client.page(&path).await;
    assert!(
        Page::parse(&first)
            .text("p.table-summary")
            .starts_with("60001 members"),
        "exact, from the kept count"
    );
    let matching = |term: &str| {
        format!(
            "SELECT count(*) FROM memberships WHERE organization_id = {org} \
             AND status <> 'archived' AND strpos(search_text, '{term}') > 0"
        )
    };

    // Two letters matching thousands: counted from a sample, and said so.
    let exact = app.count(&matching("an")).await;
    assert!(exact > 10_000, "the seed's names: {exact}");
    let (status, body) = app.client.page(&format!("{path}?q=an")).await;
    assert_eq!(status, reqwest::StatusCode::OK);
    let page = Page::parse(&body);
    let summary = page.text("p.table-summary");
    let estimate = about(&summary);
    assert!(
        (estimate - exact).abs() * 100 <= exact * 15,
        "{summary} (exactly {exact})"
    );
    assert!(
        summary.contains("matching “an” · page 1 of about"),
        "{summary}"
    );
    assert!(
        page.count(".estimate[title]") == 1,
        "the estimate explains itself"
    );
    assert_eq!(
        page.count("#select-matching"),
        0,
        "no bulk change by an estimate"
    );
    let names = page.texts("tr.member-row a.member-link strong");
    assert_eq!(row_ids(&body).len(), 50);
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted, "the page is the first 50 matches by name");

    // The same search again shows the same estimate (its sample is the same pages).
    let (_, again) = app.client.page(&format!("{path}?q=an")).await;
    assert_eq!(
        about(&Page::parse(&again).text("p.table-summary")),
        estimate
    );

    // Three letters or more, rare: its matches come from the trigram index, counted exactly.
    let (_, rare) = app.client.page(&format!("{path}?q=seed-4242%40")).await;
    assert_eq!(
        Page::parse(&rare).text("p.table-summary"),
        "1 member matching “seed-4242@” · page 1 of 1"
    );
    let (_, some) = app.client.page(&format!("{path}?q=seed-4242")).await;
    let expected = app.count(&matching("seed-4242")).await;
    assert_eq!(expected, 11, "seed-4242 and seed-42420 to seed-42429");
    assert!(Page::parse(&some)
        .text("p.table-summary")
        .starts_with("11 members matching"));

    // Three letters or more, common: the trigram index finds too many to
    // count, so the sample estimates it.
    let (_, common) = app.client.page(&format!("{path}?q=example")).await;
    let everyone = app.count(&matching("example")).await;
    let estimate = about(&Page::parse(&common).text("p.table-summary"));
    assert!(
        (estimate - everyone).abs() * 100 <= everyone * 15,
        "{estimate} (exactly {everyone})"
    );

    // The API says its total is an estimate, and pages on by cursor.
    let client = api(&app, &make_token(&app, org, &["members.view"]).await).await;
    let answer = client.get("/members?q=an").await;
    assert_eq!(answer.status, reqwest::StatusCode::OK);
    assert_eq!(answer.body["total_is_estimate"], true);
    let total = answer.body["total"].as_i64().unwrap();
    assert!(
        (total - exact).abs() * 100 <= exact * 15,
        "{total} (exactly {exact})"
    );
    assert!(answer.body["next_cursor"].is_string());
    let exact_answer = client.get("/members?q=seed-4242%40").await;
    assert_eq!(exact_answer.body["total_is_estimate"], false);
    assert_eq!(exact_answer.body["total"], 1);
}
