//! The operator's page, `GET /admin`: the Delivery Overview, the dead letters and the Event
//! Tester in a browser. Three static files (`assets/admin/`: HTML, CSS, plain JS without a
//! build step), embedded in the Worker, served with the headers of [`page_headers`].
//!
//! The page is served **without** the admin key: it holds no data and no secret, only the code
//! that asks for the key. Its data comes from the JSON admin routes (`/admin/overview`,
//! `/admin/dead-letters`, `/admin/replay`, `/admin/test`), each of which checks
//! `Authorization: Bearer <ADMIN_KEY>` itself. The key stays in the tab (`sessionStorage`);
//! `/admin#key=…` hands it over in the fragment, which browsers never send to the server.
//!
//! Everything the page shows from events (names, properties, reasons) is attacker-controlled
//! text: `admin.js` builds the DOM with `createElement`/`textContent` only, and the
//! Content-Security-Policy allows scripts and styles from the Worker only (no inline script,
//! no inline event handler, no `javascript:` URL), connections to the Worker only, and no
//! framing.

/// One embedded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// The `content-type` header to serve it with.
    pub content_type: &'static str,
    /// Its text.
    pub body: &'static str,
}

const HTML: Asset = Asset {
    content_type: "text/html; charset=utf-8",
    body: include_str!("../assets/admin/index.html"),
};

/// The files under `/admin/assets/`, by name.
const ASSETS: [(&str, Asset); 2] = [
    (
        "admin.css",
        Asset {
            content_type: "text/css; charset=utf-8",
            body: include_str!("../assets/admin/admin.css"),
        },
    ),
    (
        "admin.js",
        Asset {
            content_type: "text/javascript; charset=utf-8",
            body: include_str!("../assets/admin/admin.js"),
        },
    ),
];

/// The prefix of the page's static files.
pub const ASSET_PREFIX: &str = "/admin/assets/";

/// The file a path names: the page for `/admin`, a static file for `/admin/assets/<name>`
/// (a trailing `/` ignored, as routing does); `None` for anything else (the JSON admin routes
/// included).
pub fn asset(path: &str) -> Option<Asset> {
    let path = path.strip_suffix('/').unwrap_or(path);
    if path == "/admin" {
        return Some(HTML);
    }
    let name = path.strip_prefix(ASSET_PREFIX)?;
    ASSETS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, asset)| *asset)
}

/// Whether `path` is the page or one of its files (to route `GET`/`HEAD` to [`asset`]).
pub fn serves(path: &str) -> bool {
    asset(path).is_some()
}

/// The Content-Security-Policy of the page and its files: everything from the Worker itself,
/// nothing inline, nothing from elsewhere, no framing, no form posts, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
    form-action 'none'; frame-ancestors 'none'";

/// The headers of every answer of [`asset`] besides its `content-type`: the strict CSP, never
/// stored by caches, no MIME sniffing, no referrer, not framable.
pub fn page_headers() -> Vec<(&'static str, String)> {
    vec![
        ("content-security-policy", CONTENT_SECURITY_POLICY.into()),
        ("cache-control", "no-store".into()),
        ("x-content-type-options", "nosniff".into()),
        ("referrer-policy", "no-referrer".into()),
        ("x-frame-options", "DENY".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_files() {
        let page = asset("/admin").unwrap();
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        assert_eq!(asset("/admin/"), Some(page));
        assert!(page.body.contains(r#"src="/admin/assets/admin.js""#));
        assert!(page.body.contains(r#"href="/admin/assets/admin.css""#));
        let js = asset("/admin/assets/admin.js").unwrap();
        assert_eq!(js.content_type, "text/javascript; charset=utf-8");
        let css = asset("/admin/assets/admin.css").unwrap();
        assert_eq!(css.content_type, "text/css; charset=utf-8");
        assert_eq!(asset("/admin/assets/admin.js/"), Some(js));
        assert!(serves("/admin/assets/admin.css") && serves("/admin"));
    }

    #[test]
    fn nothing_else() {
        for path in [
            "/admin/dead-letters",
            "/admin/replay",
            "/admin/overview",
            "/admin/test",
            "/admin/assets/",
            "/admin/assets",
            "/admin/assets/../admin.js",
            "/admin/assets/ADMIN.JS",
            "/admin//assets/admin.js",
            "/admin/index.html",
            "/admin//",
            "/adminx",
            "/",
            "",
        ] {
            assert_eq!(asset(path), None, "{path:?}");
            assert!(!serves(path));
        }
    }

    #[test]
    fn headers_are_strict() {
        let headers = page_headers();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        let csp = get("content-security-policy").unwrap();
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(
                csp.split("; ").any(|d| d == directive),
                "{directive} in {csp}"
            );
        }
        assert!(!csp.contains("unsafe") && !csp.contains('*') && !csp.contains("  "));
        assert_eq!(get("cache-control"), Some("no-store"));
        assert_eq!(get("x-content-type-options"), Some("nosniff"));
        assert_eq!(get("referrer-policy"), Some("no-referrer"));
    }

    /// What the CSP forbids is not in the files either: the page would break under it.
    #[test]
    fn no_inline_script_style_or_handler_and_no_html_built_from_text() {
        let page = asset("/admin").unwrap().body;
        assert!(!page.contains("<style"), "inline style element");
        assert!(!page.contains(" style="), "inline style attribute");
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains(r#"<script src="/admin/assets/admin.js" defer></script>"#));
        let js = asset("/admin/assets/admin.js").unwrap().body;
        // The one URL the script may name: SVG's namespace, for createElementNS.
        let js_without_svg_namespace = js.replace("http://www.w3.org/2000/svg", "");
        for file in [page, js_without_svg_namespace.as_str()] {
            for forbidden in [
                " onclick=",
                " onerror=",
                " onload=",
                "javascript:",
                "http://",
                "https://",
            ] {
                assert!(!file.contains(forbidden), "{forbidden}");
            }
        }
        for forbidden in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "setAttribute('style'",
            "setAttribute(\"style\"",
        ] {
            assert!(!js.contains(forbidden), "{forbidden} in admin.js");
        }
        let css = asset("/admin/assets/admin.css").unwrap().body;
        assert!(!css.contains("@import") && !css.contains("url("));
    }
}
