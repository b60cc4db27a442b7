//! What wraps every response: the access log, security headers, and the
//! last-resort answer to a panic.

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

use poem::http::{HeaderValue, header};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::error::ApiError;

/// The policy for every HTML page: nothing but same-origin styles and
/// images, no scripts, no framing, forms only to ourselves.
pub(crate) const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One line per request: method, path, query, status, latency. Never
/// headers (they carry API keys and cookies), and never a secret that
/// travels in the address: share-link tokens in `/t/…` paths and
/// `token=` values in query strings (sign-in and password-setup links)
/// are replaced by a placeholder.
pub(crate) async fn log_requests<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let method = request.method().clone();
    let path = loggable_path(request.uri().path());
    let query = request.uri().query().map(loggable_query).unwrap_or_default();
    let started = Instant::now();
    let response = match endpoint.call(request).await {
        Ok(output) => output.into_response(),
        Err(error) => error.into_response(),
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(%method, %path, %query, status = response.status().as_u16(), latency_ms, "request");
    Ok(response)
}

/// Stands in for a secret in the log.
const REDACTED: &str = "{token}";

/// The only segment after a share-link token that is not a secret
/// (`/t/TOKEN/code`).
const LINK_ACTIONS: [&str; 1] = ["code"];

/// The path as it may be logged: below `/t/` every segment but the known
/// action names is replaced. A share-link token is the only thing that
/// travels there, and a mistyped or doubled slash (`/t//TOKEN`), or `/T/`,
/// must not move it out of the placeholder's reach.
fn loggable_path(path: &str) -> String {
    let mut segments = path.split('/').skip_while(|segment| segment.is_empty());
    let is_link_path = segments.next().is_some_and(|first| first.eq_ignore_ascii_case("t"));
    if !is_link_path {
        return path.to_owned();
    }
    let redacted: Vec<&str> = segments
        .map(|segment| match segment {
            "" => "",
            action if LINK_ACTIONS.contains(&action) => action,
            _ => REDACTED,
        })
        .collect();
    if redacted.is_empty() { path.to_owned() } else { format!("/t/{}", redacted.join("/")) }
}

/// The query string as it may be logged: the value of every `token`
/// parameter is replaced. Matched on the still-encoded name, so no
/// spelling of it slips through.
fn loggable_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_token_name(name) => format!("{name}={REDACTED}"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// `token`, in any case and with any letters percent-encoded.
fn is_token_name(name: &str) -> bool {
    let mut decoded = String::new();
    let mut bytes = name.bytes();
    while let Some(byte) = bytes.next() {
        let character = if byte == b'%' {
            let hex: String = bytes.by_ref().take(2).map(char::from).collect();
            u8::from_str_radix(&hex, 16).map(char::from).unwrap_or('%')
        } else {
            char::from(byte)
        };
        decoded.push(character);
    }
    decoded.eq_ignore_ascii_case("token")
}

/// Adds the security headers to every response, and the page policy to
/// HTML that does not bring a policy of its own.
pub(crate) async fn security_headers<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let mut response = match endpoint.call(request).await {
        Ok(output) => output.into_response(),
        Err(error) => error.into_response(),
    };
    let is_html = response.content_type().is_some_and(|content_type| content_type.starts_with("text/html"));
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if is_html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
    }
    Ok(response)
}

/// A panic is a bug; the client still gets the JSON error shape, and the
/// log gets the panic message.
pub(crate) fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|message| (*message).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    tracing::error!(panic = %message, "request handler panicked");
    ApiError::internal().into_response()
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Mutex;

    use poem::EndpointExt;
    use poem::endpoint::make_sync;
    use poem::http::StatusCode;

    use super::*;

    /// Collects what the test subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut buffer) = self.0.lock() {
                buffer.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn share_link_tokens_stay_out_of_the_log() {
        assert_eq!(loggable_path("/t/abcdef0123456789"), "/t/{token}");
        assert_eq!(loggable_path("/t/abcdef0123456789/code"), "/t/{token}/code");
        assert_eq!(loggable_path("/t//abcdef0123456789"), "/t//{token}");
        assert_eq!(loggable_path("//T/abcdef0123456789/x/y"), "/t/{token}/{token}/{token}");
        assert_eq!(loggable_path("/t"), "/t");
        assert_eq!(loggable_path("/t/"), "/t/");
        assert_eq!(loggable_path("/tracking/abc"), "/tracking/abc");
        assert_eq!(loggable_path("/share/lnk_1"), "/share/lnk_1");
        assert_eq!(loggable_path("/api/v1/shipments/shp_1"), "/api/v1/shipments/shp_1");
    }

    #[test]
    fn token_query_values_stay_out_of_the_log() {
        assert_eq!(loggable_query("token=pt_secret"), "token={token}");
        assert_eq!(loggable_query("a=1&TOKEN=pt_secret&b=2"), "a=1&TOKEN={token}&b=2");
        assert_eq!(loggable_query("%74oken=pt_secret"), "%74oken={token}");
        assert_eq!(loggable_query("status=in_transit&q=SHP"), "status=in_transit&q=SHP");
        assert_eq!(loggable_query("tokens=1&token"), "tokens=1&token");
    }

    // Lives here rather than with the HTTP tests: tracing caches per call
    // site whether anyone listens, and a call site first reached by a
    // parallel test thread without a subscriber would stay silent. Nothing
    // else in this binary reaches the access log's call site.
    #[tokio::test]
    async fn logs_method_path_query_status_and_latency_but_never_keys_or_tokens() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let endpoint = make_sync(|_| StatusCode::NOT_FOUND).around(log_requests);
        let request = Request::builder()
            .uri_str("/api/v1/shipments/shp_9?status=done&token=sekrit-token-value")
            .header("Authorization", "Bearer ph_sekrit_key")
            .finish();
        let response = endpoint.call(request).await.map(IntoResponse::into_response);
        assert_eq!(response.map(|r| r.status()).ok(), Some(StatusCode::NOT_FOUND));

        let log = captured.0.lock().map(|buffer| String::from_utf8_lossy(&buffer).into_owned()).unwrap_or_default();
        for expected in [
            "method=GET",
            "path=/api/v1/shipments/shp_9",
            "query=status=done&token={token}",
            "status=404",
            "latency_ms=",
        ] {
            assert!(log.contains(expected), "{expected} missing: {log}");
        }
        assert!(!log.contains("sekrit"), "a secret was logged: {log}");
    }
}
