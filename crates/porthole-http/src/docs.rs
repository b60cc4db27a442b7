//! The OpenAPI document and the Swagger UI that renders it.
//!
//! The Swagger UI page is one HTML file with its script inlined, which the
//! strict page policy would block. Rather than allow inline scripts, the
//! page gets its own policy naming the SHA-256 of exactly the scripts it
//! carries, computed once when the routes are built.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use poem::http::{HeaderValue, header};
use poem::web::Html;
use poem::{Endpoint, IntoResponse, endpoint::make_sync};
use sha2::{Digest, Sha256};

/// Serves `html` (the Swagger UI page) under a policy that admits its own
/// inline scripts and nothing else. Styles may be inline: the UI sets them
/// as it renders.
pub(crate) fn swagger_page(html: String) -> impl Endpoint {
    let script_hashes: Vec<String> = inline_scripts(&html)
        .map(|script| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(script.as_bytes()))))
        .collect();
    let policy = format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src 'self' data:; \
         font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        script_hashes.join(" ")
    );
    let policy = HeaderValue::from_str(&policy).ok();
    make_sync(move |_| {
        let mut response = Html(html.clone()).into_response();
        match &policy {
            Some(policy) => {
                response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy.clone());
            }
            // A hash is base64 and the rest is fixed text, so the header is
            // always valid; were it not, the page policy would apply and the
            // page would merely not render.
            None => tracing::error!("the Swagger UI policy is not a valid header value"),
        }
        response
    })
}

/// The text of each `<script>` element that has no `src`.
///
/// Scans element by element: a script body may itself mention `<script`
/// (the Swagger bundle does, in a regular expression), but it cannot hold
/// `</script>`, so each element ends at the first closing tag after it.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find("<script")?;
            let (attributes, after) = rest[start + "<script".len()..].split_once('>')?;
            let (script, remainder) = after.split_once("</script>")?;
            rest = remainder;
            if !attributes.contains("src=") {
                return Some(script);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inline_scripts_only() {
        let html = "<head><script charset=\"UTF-8\">a()</script><script src=\"/x.js\"></script></head>\
                    <body><script>\nb()\n</script></body>";
        assert_eq!(inline_scripts(html).collect::<Vec<_>>(), vec!["a()", "\nb()\n"]);
    }

    #[test]
    fn a_script_mentioning_script_tags_stays_whole() {
        let html = "<script>var re = /<script(?=\\s|>)/;</script><script>c()</script>";
        assert_eq!(inline_scripts(html).collect::<Vec<_>>(), vec!["var re = /<script(?=\\s|>)/;", "c()"]);
    }
}
