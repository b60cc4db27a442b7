//! The tracking user's session cookie. The portal pages and the portal JSON
//! API both read and write it, so its name and attributes are fixed here,
//! once.
//!
//! The cookie holds the session secret and nothing else; the server keeps
//! only its digest. `HttpOnly` keeps it from scripts, `SameSite=Lax` keeps
//! it off cross-site form posts while a link from a notification mail still
//! opens the portal signed in, and `Secure` is set whenever the site is
//! served over HTTPS.

use chrono::{DateTime, Utc};
use poem::http::{HeaderMap, header};
use poem::web::cookie::{Cookie, SameSite};
use porthole_app::SessionIssued;

use crate::HttpSettings;

/// The cookie's name.
pub(crate) const SESSION_COOKIE: &str = "porthole_session";

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
        let mut cookie = self.cookie(session.secret.expose());
        // Max-Age rather than Expires: it does not depend on the browser's
        // clock agreeing with ours.
        let lifetime = (session.expires_at - now).to_std().unwrap_or_default();
        cookie.set_max_age(lifetime);
        cookie
    }

    /// The cookie that makes the browser forget its session. It must carry
    /// the same path as the one it replaces, or the browser keeps both.
    pub(crate) fn clear(self) -> Cookie {
        let mut cookie = self.cookie("");
        cookie.make_removal();
        cookie
    }

    fn cookie(self, value: &str) -> Cookie {
        let mut cookie = Cookie::new_with_str(SESSION_COOKIE, value);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_path("/");
        cookie.set_secure(self.secure);
        cookie
    }
}

/// Whether the configured public address is HTTPS.
pub(crate) fn serves_https(settings: &HttpSettings) -> bool {
    settings.public_url.trim_start().to_ascii_lowercase().starts_with("https://")
}

/// The session secret the browser presented, if any. Reads the `Cookie`
/// headers directly, so it works with or without a cookie-jar middleware.
pub(crate) fn presented_session(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use poem::http::HeaderValue;

    use super::*;

    fn site(public_url: &str) -> SessionCookies {
        SessionCookies::for_site(&HttpSettings { public_url: public_url.to_owned() })
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
