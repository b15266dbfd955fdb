//! Accessibility: axe-core (npm, pinned in package-lock.json) audits the page
//! the browser shows against WCAG 2.2 A and AA. It is injected through
//! WebDriver's script execution, which the page's CSP does not govern, so the
//! app's policy stays as strict as it is.

use std::sync::OnceLock;

use fantoccini::Client;
use serde_json::json;

fn source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/node_modules/axe-core/axe.min.js"
        );
        std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("{path}: {e} (scripts/test runs npm ci)"))
    })
}

const RUN: &str = "const done = arguments[arguments.length - 1];
    axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
        resultTypes: ['violations'],
        // Experimental in axe, but WCAG 2.5.3 (label in name) all the same.
        rules: { 'label-content-name-mismatch': { enabled: true } },
    }).then(
        r => done(r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
        }))),
        e => done([{ id: 'axe-error', help: String(e), nodes: [] }]));";

/// Fails the test with each rule broken on the current page, naming `state`.
pub async fn audit(browser: &Client, state: &str) {
    let loaded = browser
        .execute("return typeof window.axe !== 'undefined';", vec![])
        .await
        .unwrap();
    if loaded != json!(true) {
        browser
            .execute(&format!("{}\nreturn true;", source()), vec![])
            .await
            .expect("axe-core loads into the page");
    }
    let violations = browser.execute_async(RUN, vec![]).await.unwrap();
    let violations = violations.as_array().cloned().unwrap_or_default();
    assert!(
        violations.is_empty(),
        "axe-core found {} accessibility violation(s) on {state}:\n{}",
        violations.len(),
        serde_json::to_string_pretty(&violations).unwrap()
    );
}
