//! A browser's `User-Agent` in words a person recognises ("Firefox on
//! Windows"): what the sessions list and the security activity show, with
//! the whole string kept for a tooltip.

/// The browser and system `user_agent` names, as "Browser on System"; either
/// part falls back to what is known. A string naming neither (a script, a
/// tool) is shown as it is, cut to 60 characters; an empty one as "Unknown
/// browser".
pub fn describe(user_agent: &str) -> String {
    // Order matters: Edge and Opera also say Chrome, and Chrome says Safari.
    const BROWSERS: [(&str, &str); 8] = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("HeadlessChrome/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ];
    const SYSTEMS: [(&str, &str); 7] = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(marker, _)| user_agent.contains(marker))
            .map(|(_, name)| *name)
    };
    match (find(&BROWSERS), find(&SYSTEMS)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) if user_agent.trim().is_empty() => "Unknown browser".to_owned(),
        (None, None) => match user_agent.char_indices().nth(60) {
            Some((cut, _)) => format!("{}…", &user_agent[..cut]),
            None => user_agent.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_read_as_browser_on_system() {
        for (agent, words) in [
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome on Linux"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "Safari on macOS"),
            ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1", "Safari on iOS"),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox on Windows"),
            ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
            ("curl/8.5.0", "curl"),
            ("", "Unknown browser"),
            ("roster-tests", "roster-tests"),
        ] {
            assert_eq!(describe(agent), words, "{agent}");
        }
        assert_eq!(describe(&"x".repeat(100)), format!("{}…", "x".repeat(60)));
    }
}
