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

/// One line per request: method, path, status, latency. Never headers
/// (they carry API keys and cookies) and never the query string (login and
/// password-setup tokens travel there).
pub(crate) async fn log_requests<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let method = request.method().clone();
    let path = loggable_path(request.uri().path());
    let started = Instant::now();
    let response = match endpoint.call(request).await {
        Ok(output) => output.into_response(),
        Err(error) => error.into_response(),
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(%method, %path, status = response.status().as_u16(), latency_ms, "request");
    Ok(response)
}

/// The path as it may be logged. Share-link tokens are part of the path
/// (`/t/TOKEN`), so those paths are logged without them.
fn loggable_path(path: &str) -> String {
    if path.starts_with("/t/") { "/t/{token}".to_owned() } else { path.to_owned() }
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
        assert_eq!(loggable_path("/api/v1/shipments/shp_1"), "/api/v1/shipments/shp_1");
    }

    // Lives here rather than with the HTTP tests: tracing caches per call
    // site whether anyone listens, and a call site first reached by a
    // parallel test thread without a subscriber would stay silent. Nothing
    // else in this binary reaches the access log's call site.
    #[tokio::test]
    async fn logs_method_path_status_and_latency_but_never_keys_or_query_strings() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let endpoint = make_sync(|_| StatusCode::NOT_FOUND).around(log_requests);
        let request = Request::builder()
            .uri_str("/api/v1/shipments/shp_9?token=sekrit-token-value")
            .header("Authorization", "Bearer ph_sekrit_key")
            .finish();
        let response = endpoint.call(request).await.map(IntoResponse::into_response);
        assert_eq!(response.map(|r| r.status()).ok(), Some(StatusCode::NOT_FOUND));

        let log = captured.0.lock().map(|buffer| String::from_utf8_lossy(&buffer).into_owned()).unwrap_or_default();
        for expected in ["method=GET", "path=/api/v1/shipments/shp_9", "status=404", "latency_ms="] {
            assert!(log.contains(expected), "{expected} missing: {log}");
        }
        assert!(!log.contains("sekrit"), "a secret was logged: {log}");
    }
}
