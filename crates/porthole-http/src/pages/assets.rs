//! The portal's one stylesheet, compiled into the binary so a deployment is
//! a single file.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use poem::http::header;
use poem::{Response, handler};
use sha2::{Digest, Sha256};

const STYLESHEET: &str = include_str!("../../static/portal.css");

/// Where the stylesheet is served, below `/portal`.
pub(super) const STYLESHEET_ROUTE: &str = "/static/portal.css";

/// The address pages link to. It names a fingerprint of the content, so
/// browsers may keep the file for a year and still fetch a changed one the
/// moment a new release links to it.
static STYLESHEET_HREF: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    format!("/portal{STYLESHEET_ROUTE}?v={}", URL_SAFE_NO_PAD.encode(&digest[..9]))
});

pub(super) fn stylesheet_href() -> &'static str {
    STYLESHEET_HREF.as_str()
}

#[handler]
pub(super) fn stylesheet() -> Response {
    Response::builder()
        .content_type("text/css; charset=utf-8")
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .body(STYLESHEET)
}
