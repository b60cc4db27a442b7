//! Session cookies: the tracking user's, which the portal pages and the
//! portal JSON API both read and write, and the share-link viewer's. Their
//! names and attributes are fixed here, once.
//!
//! A cookie holds the session secret and nothing else; the server keeps
//! only its digest. `HttpOnly` keeps it from scripts, `SameSite=Lax` keeps
//! it off cross-site form posts while a link from a mail still opens the
//! page signed in, and `Secure` is set whenever the site is served over
//! HTTPS.

use chrono::{DateTime, Utc};
use poem::http::{HeaderMap, header};
use poem::web::cookie::{Cookie, SameSite};
use porthole_app::{LinkSessionIssued, SessionIssued};

use crate::HttpSettings;

/// The tracking user's session cookie.
pub(crate) const SESSION_COOKIE: &str = "porthole_session";

/// A share-link viewer's session cookie.
pub(crate) const LINK_COOKIE: &str = "porthole_link";

/// How this site writes session cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionCookies {
    secure: bool,
}

impl SessionCookies {
    /// `Secure` exactly when people reach the site over HTTPS: a local
    /// install on plain HTTP would otherwise never get its cookie back.
    pub(crate) fn for_site(settings: &HttpSettings) -> Self {
        Self { secure: serves_https(settings) }
    }

    /// The cookie that carries a new session until the session ends.
    pub(crate) fn issue(self, session: &SessionIssued, now: DateTime<Utc>) -> Cookie {
        lasting_until(self.cookie(SESSION_COOKIE, "/", session.secret.expose()), session.expires_at, now)
    }

    /// The cookie that makes the browser forget its session. It must carry
    /// the same path as the one it replaces, or the browser keeps both.
    pub(crate) fn clear(self) -> Cookie {
        removal(self.cookie(SESSION_COOKIE, "/", ""))
    }

    /// The cookie that carries a share-link viewer's session. Its path is
    /// the link's own page (`page_path`), so the browser sends it nowhere
    /// else, and a browser that opened several links keeps one cookie for
    /// each instead of one replacing another.
    pub(crate) fn issue_for_link(self, session: &LinkSessionIssued, page_path: &str, now: DateTime<Utc>) -> Cookie {
        lasting_until(self.cookie(LINK_COOKIE, page_path, session.secret.expose()), session.expires_at, now)
    }

    /// The cookie that makes the browser forget its session on the link
    /// whose page is `page_path`.
    pub(crate) fn clear_for_link(self, page_path: &str) -> Cookie {
        removal(self.cookie(LINK_COOKIE, page_path, ""))
    }

    fn cookie(self, name: &str, path: &str, value: &str) -> Cookie {
        let mut cookie = Cookie::new_with_str(name, value);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_path(path);
        cookie.set_secure(self.secure);
        cookie
    }
}

/// Max-Age rather than Expires: it does not depend on the browser's clock
/// agreeing with ours.
fn lasting_until(mut cookie: Cookie, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> Cookie {
    cookie.set_max_age((expires_at - now).to_std().unwrap_or_default());
    cookie
}

fn removal(mut cookie: Cookie) -> Cookie {
    cookie.make_removal();
    cookie
}

/// Whether the configured public address is HTTPS.
pub(crate) fn serves_https(settings: &HttpSettings) -> bool {
    settings.public_url.trim_start().to_ascii_lowercase().starts_with("https://")
}

/// The tracking user's session secret the browser presented, if any.
pub(crate) fn presented_session(headers: &HeaderMap) -> Option<String> {
    presented(headers, SESSION_COOKIE)
}

/// The share-link session secret the browser presented, if any. The
/// cookie's path limits it to the page of its own link.
pub(crate) fn presented_link_session(headers: &HeaderMap) -> Option<String> {
    presented(headers, LINK_COOKIE)
}

/// Reads the `Cookie` headers directly, so it works with or without a
/// cookie-jar middleware.
fn presented(headers: &HeaderMap, cookie_name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == cookie_name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use poem::http::HeaderValue;

    use super::*;
    use crate::TrustedProxies;

    fn site(public_url: &str) -> SessionCookies {
        SessionCookies::for_site(&HttpSettings {
            public_url: public_url.to_owned(),
            trusted_proxies: TrustedProxies::default(),
        })
    }

    #[test]
    fn the_cookie_is_http_only_lax_site_wide_and_secure_over_https() {
        let text = site("https://track.example.com").clear().to_string();
        for attribute in ["porthole_session=", "HttpOnly", "SameSite=Lax", "Path=/", "Secure", "Max-Age=0"] {
            assert!(text.contains(attribute), "{attribute} missing: {text}");
        }
        let plain = site("http://127.0.0.1:8080").clear().to_string();
        assert!(!plain.contains("Secure"), "{plain}");
        assert!(plain.contains("HttpOnly"), "{plain}");
    }

    #[test]
    fn a_link_cookie_is_bound_to_its_link_page() {
        let text = site("https://track.example.com").clear_for_link("/share/lnk_1").to_string();
        for attribute in ["porthole_link=", "HttpOnly", "SameSite=Lax", "Path=/share/lnk_1", "Secure", "Max-Age=0"] {
            assert!(text.contains(attribute), "{attribute} missing: {text}");
        }
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("porthole_session=ps_a; porthole_link=ls_b"));
        assert_eq!(presented_link_session(&headers).as_deref(), Some("ls_b"));
        assert_eq!(presented_session(&headers).as_deref(), Some("ps_a"));
    }

    #[test]
    fn finds_the_session_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark; porthole_session=ps_abc ; x=1"));
        assert_eq!(presented_session(&headers).as_deref(), Some("ps_abc"));

        let mut empty = HeaderMap::new();
        empty.append(header::COOKIE, HeaderValue::from_static("porthole_session=; other=1"));
        assert_eq!(presented_session(&empty), None);
        assert_eq!(presented_session(&HeaderMap::new()), None);
    }
}
