//! What wraps every request and response: the access log, security
//! headers, the refusal of control characters in addresses, the bound on
//! request bodies, and the last-resort answer to a panic.

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

use poem::error::ReadBodyError;
use poem::http::{HeaderValue, StatusCode, header};
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::client::client_address;
use crate::error::ApiError;
use crate::pages;

/// The policy for every HTML page: nothing but same-origin styles and
/// images, no scripts, no framing, forms only to ourselves.
pub(crate) const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// One line per request: client address, method, path, query, status,
/// latency. Never headers (they carry API keys and cookies), and never a
/// secret that travels in the address: share-link tokens in `/t/…` paths
/// and `token=` values in query strings (sign-in and password-setup links)
/// are replaced by a placeholder.
pub(crate) async fn log_requests<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let client = client_address(&request).map_or_else(|| "-".to_owned(), |address| address.to_string());
    let method = request.method().clone();
    let path = loggable_path(request.uri().path());
    let query = request.uri().query().map(loggable_query).unwrap_or_default();
    let started = Instant::now();
    let response = match endpoint.call(request).await {
        Ok(output) => output.into_response(),
        Err(error) => error.into_response(),
    };
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(%client, %method, %path, %query, status = response.status().as_u16(), latency_ms, "request");
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
    percent_decoded(name).eq_ignore_ascii_case(b"token")
}

/// The bytes `text` stands for: every `%XX` decoded, anything else
/// (a `%` without two hex digits after it included) as it is.
fn percent_decoded(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let escaped = bytes
            .get(index + 1..index + 3)
            .filter(|_| byte == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(value) => {
                decoded.push(value);
                index += 3;
            }
            None => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    decoded
}

/// Which part of the site an address belongs to, decided on the path
/// exactly as the router matches it: byte for byte, case and all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    /// `/api/v1/…`: staff and their integrations, with an API key.
    StaffApi,
    /// The rest of `/api`: the portal API, the document, unknown addresses.
    Api,
    /// `/t/…` and `/share/…`: the pages a share link leads to.
    LinkPages,
    /// Everything else, for people.
    Pages,
}

impl Area {
    fn of(request: &Request) -> Self {
        let path = request.uri().path();
        let under =
            |prefix: &str| path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        if under("/api/v1") {
            Self::StaffApi
        } else if under("/api") {
            Self::Api
        } else if path.starts_with("/t/") || path.starts_with("/share/") {
            Self::LinkPages
        } else {
            Self::Pages
        }
    }

    /// A refusal made before routing, in the form this part of the site
    /// answers in.
    fn refusal(self, status: StatusCode, api_error: ApiError) -> Response {
        match self {
            Self::StaffApi | Self::Api => api_error.into_response(),
            Self::LinkPages => pages::link_error_response(status),
            Self::Pages => pages::error_response(status),
        }
    }
}

/// Refuses an address whose path or query string, percent-decoded, holds
/// an ASCII control character (a NUL above all). None has a place in
/// anything Porthole looks up, and PostgreSQL refuses any text holding a
/// NUL, which would surface as "storage unavailable" instead of a bad
/// request. A share-link address gets the same page as every other link
/// that does not work.
pub(crate) async fn refuse_control_characters<E: Endpoint>(
    endpoint: Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    let uri = request.uri();
    let has_control = |text: &str| percent_decoded(text).iter().any(u8::is_ascii_control);
    if has_control(uri.path()) || uri.query().is_some_and(has_control) {
        let area = Area::of(&request);
        return Ok(match area {
            Area::LinkPages => pages::invalid_link_response(),
            _ => area.refusal(
                StatusCode::BAD_REQUEST,
                ApiError::bad_request("the address contains a control character", None),
            ),
        });
    }
    endpoint.call(request).await.map(IntoResponse::into_response)
}

/// The largest request body read from anyone but the staff API: far more
/// than any form or portal call sends, and little enough that an anonymous
/// client cannot make the server hold much. The staff API keeps its own,
/// larger bound (`body.rs`), sized for event batches.
pub(crate) const PUBLIC_BODY_LIMIT: usize = 64 * 1024;

/// Bounds the body of every request outside the staff API to
/// [`PUBLIC_BODY_LIMIT`]: a larger `Content-Length` is refused unread, and
/// a body without one (sent chunked) is read up to the bound and refused
/// past it. poem's own `SizeLimit` judges by `Content-Length` alone and
/// refuses requests without one, so it neither bounds chunked bodies nor
/// lets a plain GET through. Form extractors buffer the whole body before
/// the CSRF check, so the bound has to hold before any handler runs.
pub(crate) async fn limit_bodies<E: Endpoint>(endpoint: Arc<E>, mut request: Request) -> poem::Result<Response> {
    let area = Area::of(&request);
    if area != Area::StaffApi {
        let too_large = || {
            area.refusal(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiError::payload_too_large(format!(
                    "the request body is larger than the {} KiB this address accepts",
                    PUBLIC_BODY_LIMIT / 1024
                )),
            )
        };
        let declared_too_large = request
            .header(header::CONTENT_LENGTH)
            .and_then(|length| length.parse::<u64>().ok())
            .is_some_and(|length| !usize::try_from(length).is_ok_and(|length| length <= PUBLIC_BODY_LIMIT));
        if declared_too_large {
            return Ok(too_large());
        }
        match request.take_body().into_bytes_limit(PUBLIC_BODY_LIMIT).await {
            Ok(bytes) => request.set_body(bytes),
            Err(ReadBodyError::PayloadTooLarge) => return Ok(too_large()),
            Err(_) => {
                let unread = ApiError::bad_request("the request body could not be read", None);
                return Ok(area.refusal(StatusCode::BAD_REQUEST, unread));
            }
        }
    }
    endpoint.call(request).await.map(IntoResponse::into_response)
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
    use std::net::SocketAddr;
    use std::sync::Mutex;

    use poem::endpoint::make_sync;
    use poem::http::uri::Scheme;
    use poem::web::{LocalAddr, RemoteAddr};
    use poem::{Addr, EndpointExt, RequestParts};

    use super::*;
    use crate::TrustedProxies;

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
    fn percent_escapes_are_decoded_and_stray_percent_signs_kept() {
        assert_eq!(percent_decoded("a%00b%2Fc"), b"a\0b/c");
        assert_eq!(percent_decoded("%2500"), b"%00");
        assert_eq!(percent_decoded("100%"), b"100%");
        assert_eq!(percent_decoded("%zz%4"), b"%zz%4");
        assert_eq!(percent_decoded("caf%C3%A9"), "café".as_bytes());
    }

    #[test]
    fn areas_are_told_apart_as_the_router_tells_them() {
        let area = |path: &str| Area::of(&Request::builder().uri_str(path).finish());
        assert_eq!(area("/api/v1/shipments"), Area::StaffApi);
        assert_eq!(area("/api/v1"), Area::StaffApi);
        assert_eq!(area("/api/v10/shipments"), Area::Api);
        assert_eq!(area("/api/portal/v1/session"), Area::Api);
        assert_eq!(area("/api"), Area::Api);
        assert_eq!(area("/apiary"), Area::Pages);
        assert_eq!(area("/t/token"), Area::LinkPages);
        assert_eq!(area("/share/lnk_1"), Area::LinkPages);
        assert_eq!(area("/API/v1/shipments"), Area::Pages, "the router does not match it under /api either");
        assert_eq!(area("/portal/login"), Area::Pages);
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

        let endpoint = make_sync(|_| StatusCode::NOT_FOUND)
            .around(log_requests)
            .data(TrustedProxies::parse(&["10.0.0.7"]).expect("a valid proxy"));
        let parts = poem::http::Request::builder()
            .uri("/api/v1/shipments/shp_9?status=done&token=sekrit-token-value")
            .header("Authorization", "Bearer ph_sekrit_key")
            .header("X-Forwarded-For", "198.51.100.1")
            .body(())
            .expect("a request")
            .into_parts()
            .0;
        let peer = RemoteAddr(Addr::from(SocketAddr::from(([10, 0, 0, 7], 40000))));
        let request = Request::from_parts(
            RequestParts::from((parts, LocalAddr::default(), peer, Scheme::HTTP)),
            poem::Body::empty(),
        );
        let response = endpoint.call(request).await.map(IntoResponse::into_response);
        assert_eq!(response.map(|r| r.status()).ok(), Some(StatusCode::NOT_FOUND));

        let log = captured.0.lock().map(|buffer| String::from_utf8_lossy(&buffer).into_owned()).unwrap_or_default();
        for expected in [
            "client=198.51.100.1",
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
