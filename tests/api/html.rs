//! Reading a page in tests by CSS selector (the `scraper` crate) instead of
//! matching its raw markup: what a user sees, not how it is spelled.

use scraper::{ElementRef, Html, Selector};

/// A parsed page or fragment.
pub struct Page(Html);

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap_or_else(|e| panic!("bad selector {css:?}: {e}"))
}

/// An element's text as shown: its pieces joined, runs of whitespace as one space.
fn shown(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl Page {
    /// A whole page (it starts with its doctype), or a fragment as htmx
    /// swaps it in. A table row is read inside a table, where it belongs (an
    /// HTML parser drops a `<tr>` found anywhere else).
    pub fn parse(body: &str) -> Self {
        let start = body.trim_start();
        if start
            .get(..9)
            .is_some_and(|d| d.eq_ignore_ascii_case("<!doctype"))
        {
            Self(Html::parse_document(body))
        } else if start.starts_with("<tr") {
            Self(Html::parse_fragment(&format!("<table>{body}</table>")))
        } else {
            Self(Html::parse_fragment(body))
        }
    }

    /// Whether this is a whole page in the app's layout (not a fragment).
    pub fn is_whole_page(&self) -> bool {
        self.count("html > head > title") == 1
    }

    /// How many elements match `css`.
    pub fn count(&self, css: &str) -> usize {
        self.0.select(&selector(css)).count()
    }

    /// The shown text of each element matching `css`, in document order.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.0.select(&selector(css)).map(shown).collect()
    }

    /// The shown text of the first element matching `css` (which must exist).
    pub fn text(&self, css: &str) -> String {
        self.texts(css)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("nothing matches {css:?}"))
    }

    /// The value of `attr` on each element matching `css` that has it.
    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        self.0
            .select(&selector(css))
            .filter_map(|e| e.value().attr(attr).map(str::to_owned))
            .collect()
    }

    /// The value of `attr` on the first element matching `css`, if any.
    pub fn attr(&self, css: &str, attr: &str) -> Option<String> {
        self.attrs(css, attr).into_iter().next()
    }
}
