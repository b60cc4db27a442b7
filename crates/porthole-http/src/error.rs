//! The one JSON shape every API failure takes, and the one place where
//! failures become statuses.
//!
//! Use-case errors ([`AppError`]) and poem's own errors (unreadable bodies,
//! missing credentials, unknown routes) are all turned into an [`ApiError`]
//! here, so a client sees `{ "error": CODE, "message": TEXT, "field": FIELD? }`
//! whatever went wrong and wherever.

use std::sync::Arc;
use std::time::Duration;

use poem::error::{MethodNotAllowedError, NotFoundError, ReadBodyError, ResponseError};
use poem::http::{HeaderName, HeaderValue, StatusCode, header};
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use poem_openapi::error::{
    AuthorizationError, ContentTypeError, ParseParamError, ParsePathError, ParseRequestPayloadError,
};
use poem_openapi::payload::Json;
use poem_openapi::registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};
use porthole_app::{AppError, FieldError};

/// The body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Object)]
pub(crate) struct ErrorBody {
    /// A stable, machine-readable code: `bad_request`, `invalid_field`,
    /// `unauthorized`, `invalid_credentials`, `invalid_token`, `forbidden`,
    /// `not_found`, `conflict`, `rate_limited`, `unavailable`, …
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
    /// The refused input field as the caller wrote it (`pol.unlocode`,
    /// `events[3].event_code`), when one field is to blame.
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
}

/// A failure on its way to the client: a status, an [`ErrorBody`], and
/// the headers that tell the client what to do next.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{} {}: {}", status.as_u16(), body.error, body.message)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>, field: Option<String>) -> Self {
        Self { status, body: ErrorBody { error: code.to_owned(), message: message.into(), field }, headers: Vec::new() }
    }

    fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The body could not be read as the operation's JSON: not JSON, the
    /// wrong JSON type, a required field missing. Nothing was looked at
    /// beyond that, let alone written.
    pub(crate) fn bad_request(message: impl Into<String>, field: Option<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message, field)
    }

    /// No API key, or one nobody issued.
    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API key is required: send Authorization: Bearer KEY",
            None,
        )
        .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// A portal call without a live session: no cookie, or one whose
    /// session ended (signed out, expired, user disabled, portal off).
    pub(crate) fn signed_out() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "sign in first: POST /api/portal/v1/session sets the session cookie",
            None,
        )
    }

    /// A password-setup link that is unknown, used or expired: one answer
    /// for all three, so the link's history stays private.
    pub(crate) fn invalid_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid_token", "this link is no longer valid; ask for a new one", None)
    }

    /// Too many attempts; `Retry-After` says how many seconds to wait.
    fn rate_limited(retry_after: Duration) -> Self {
        // Rounded up: a client that waits exactly this long is let in.
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        let seconds = seconds.max(1);
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many attempts; try again in {seconds} seconds"),
            None,
        )
        .with_header(header::RETRY_AFTER, HeaderValue::from(seconds))
    }

    /// A body past the bound of the address it was sent to; `message`
    /// says what to do instead.
    pub(crate) fn payload_too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message, None)
    }

    pub(crate) fn not_found() -> Self {
        // One message for "absent" and "not yours", so the two cannot be told
        // apart.
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource", None)
    }

    pub(crate) fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the service is temporarily unavailable; nothing was changed, try again shortly",
            None,
        )
    }

    pub(crate) fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "an unexpected error occurred", None)
    }

    /// A path or query parameter poem-openapi could not parse. Its reason
    /// is written for Rust programmers (`failed to parse "integer(uint32)":
    /// invalid digit found in string (occurred while parsing
    /// "optional_integer(uint32)")`), but it always opens with the expected
    /// type's schema name in quotes: that type is what the caller needs to
    /// hear about, in words.
    fn parameter_refused(name: &str, reason: &str) -> Self {
        let expected = reason.split('"').nth(1).unwrap_or_default();
        let rule = if reason.contains("expects an input value") {
            "is required"
        } else if expected.starts_with("integer(uint") {
            "must be a whole number, 0 or more"
        } else if expected.starts_with("integer") {
            "must be a whole number"
        } else if expected.starts_with("number") {
            "must be a number"
        } else if expected == "boolean" {
            "must be true or false"
        } else {
            "is not a value this call accepts"
        };
        Self::bad_request(format!("{name} {rule}"), Some(name.to_owned()))
    }

    /// A failure known only by its status, such as a plain response that
    /// poem made for an unknown route before we saw it.
    pub(crate) fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::UNAUTHORIZED => Self::unauthorized(),
            StatusCode::NOT_FOUND => Self::not_found(),
            StatusCode::SERVICE_UNAVAILABLE => Self::unavailable(),
            status if status.is_server_error() => Self::internal(),
            status => {
                let reason = status.canonical_reason().unwrap_or("request refused");
                Self::new(status, &code_for(status), reason.to_lowercase(), None)
            }
        }
    }
}

/// `Not Acceptable` → `not_acceptable`, for statuses without a code of
/// their own.
fn code_for(status: StatusCode) -> String {
    match status {
        StatusCode::BAD_REQUEST => "bad_request".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed".to_owned(),
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large".to_owned(),
        status => status
            .canonical_reason()
            .map(|reason| reason.to_lowercase().replace([' ', '-'], "_"))
            .unwrap_or_else(|| "error".to_owned()),
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", error.message, Some(error.field))
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Invalid(field_error) => field_error.into(),
            AppError::NotFound => Self::not_found(),
            AppError::Conflict { field, message } => Self::new(StatusCode::CONFLICT, "conflict", message, Some(field)),
            AppError::Unauthorized => Self::unauthorized(),
            AppError::InvalidCredentials => Self::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "the login or the password is not right".to_owned(),
                None,
            ),
            AppError::RateLimited { retry_after } => Self::rate_limited(retry_after),
            AppError::CodeRejected { attempts_left } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_code",
                format!("the code is not right; {attempts_left} attempts left"),
                Some("code".to_owned()),
            ),
            AppError::CodeExpired => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "code_expired",
                "the code is no longer valid; ask for a new one".to_owned(),
                Some("code".to_owned()),
            ),
            AppError::Forbidden(reason) => Self::new(StatusCode::FORBIDDEN, "forbidden", reason, None),
            AppError::Unavailable(detail) => {
                // The detail names storage internals: it goes to the log,
                // never to the client.
                tracing::error!(%detail, "storage unavailable");
                Self::unavailable()
            }
        }
    }
}

impl From<poem::Error> for ApiError {
    fn from(error: poem::Error) -> Self {
        let error = match error.downcast::<ApiError>() {
            Ok(api_error) => return api_error,
            Err(other) => other,
        };
        if let Some(payload) = error.downcast_ref::<ParseRequestPayloadError>() {
            return Self::bad_request(format!("the request body could not be read: {}", payload.reason), None);
        }
        if let Some(content_type) = error.downcast_ref::<ContentTypeError>() {
            // A 400 rather than 415: to the integrator it is one more way of
            // sending a body this operation cannot read.
            let message = match content_type {
                ContentTypeError::ExpectContentType => {
                    "the request has no Content-Type header; send Content-Type: application/json".to_owned()
                }
                ContentTypeError::NotSupported { content_type } => {
                    format!("Content-Type {content_type} is not accepted; send Content-Type: application/json")
                }
            };
            return Self::bad_request(message, None);
        }
        if let Some(path) = error.downcast_ref::<ParsePathError>() {
            return Self::parameter_refused(path.name, &path.reason);
        }
        if let Some(param) = error.downcast_ref::<ParseParamError>() {
            return Self::parameter_refused(param.name, &param.reason);
        }
        if error.is::<AuthorizationError>() {
            return Self::unauthorized();
        }
        if error.is::<NotFoundError>() {
            return Self::not_found();
        }
        if error.is::<MethodNotAllowedError>() {
            return Self::for_status(StatusCode::METHOD_NOT_ALLOWED);
        }
        if let Some(ReadBodyError::PayloadTooLarge) = error.downcast_ref::<ReadBodyError>() {
            return Self::payload_too_large("the request body is too large; send large event feeds in several batches");
        }
        let status = error.status();
        if status.is_server_error() {
            tracing::error!(%error, status = status.as_u16(), "request failed");
        }
        Self::for_status(status)
    }
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        let mut response = Json(self.body.clone()).into_response();
        response.set_status(self.status);
        for (name, value) in &self.headers {
            response.headers_mut().insert(name.clone(), value.clone());
        }
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.as_response()
    }
}

/// Bits naming the error statuses an operation documents; see [`Failure`].
pub(crate) mod documented {
    pub const BAD_REQUEST: u16 = 1 << 0;
    pub const UNAUTHORIZED: u16 = 1 << 1;
    pub const FORBIDDEN: u16 = 1 << 2;
    pub const NOT_FOUND: u16 = 1 << 3;
    pub const CONFLICT: u16 = 1 << 4;
    pub const INVALID: u16 = 1 << 5;
    pub const UNAVAILABLE: u16 = 1 << 6;
    pub const SIGNED_OUT: u16 = 1 << 7;
    pub const INVALID_CREDENTIALS: u16 = 1 << 8;
    pub const INVALID_TOKEN: u16 = 1 << 9;
    pub const RATE_LIMITED: u16 = 1 << 10;
    pub const LINK_NOT_ACTIVE: u16 = 1 << 11;
    /// What every staff call can meet: no or a bad key, a role without the
    /// permission, storage down.
    pub const STAFF_CALL: u16 = UNAUTHORIZED | FORBIDDEN | UNAVAILABLE;
    /// What every signed-in portal call can meet: no live session, storage
    /// down.
    pub const PORTAL_CALL: u16 = SIGNED_OUT | UNAVAILABLE;
}

/// The error side of an operation's result. `DOCUMENTED` (bits from
/// [`documented`]) says which error responses the OpenAPI document lists
/// for the operation, so each operation states its own failures while the
/// mapping itself stays in [`ApiError`].
#[derive(Debug)]
pub(crate) struct Failure<const DOCUMENTED: u16>(ApiError);

impl<const DOCUMENTED: u16> Failure<DOCUMENTED> {
    /// A document lists one response per status, so an operation may not
    /// name two failures that share one (two kinds of 401, say). Checked
    /// when the operation is compiled.
    const ONE_RESPONSE_PER_STATUS: () =
        assert!(statuses_are_distinct(DOCUMENTED), "an operation documents two failures with the same status");
}

impl<const DOCUMENTED: u16> From<ApiError> for Failure<DOCUMENTED> {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl<const DOCUMENTED: u16> From<AppError> for Failure<DOCUMENTED> {
    fn from(error: AppError) -> Self {
        Self(error.into())
    }
}

impl<const DOCUMENTED: u16> From<Failure<DOCUMENTED>> for poem::Error {
    fn from(failure: Failure<DOCUMENTED>) -> Self {
        failure.0.into()
    }
}

const DOCUMENTED_RESPONSES: [(u16, u16, &str); 12] = [
    (
        documented::BAD_REQUEST,
        400,
        "The body is not JSON of the expected shape, or a parameter is not of its type (`bad_request`, with \
         `field` where one is to blame).",
    ),
    (documented::UNAUTHORIZED, 401, "No API key, or an unknown one (`unauthorized`)."),
    (
        documented::SIGNED_OUT,
        401,
        "No session cookie, or one whose session has ended: signed out, expired, user disabled (`unauthorized`).",
    ),
    (
        documented::INVALID_CREDENTIALS,
        401,
        "The login or the password is not right (`invalid_credentials`). The same answer for an unknown login, a \
         wrong password and a user who may not sign in.",
    ),
    (documented::INVALID_TOKEN, 401, "The link is unknown, already used or expired (`invalid_token`)."),
    (documented::FORBIDDEN, 403, "The key's role may not do this; the message names the roles that may (`forbidden`)."),
    (documented::NOT_FOUND, 404, "No such resource (`not_found`)."),
    (documented::CONFLICT, 409, "A unique field is already taken (`conflict`, with `field`)."),
    (
        documented::LINK_NOT_ACTIVE,
        409,
        "The link is revoked or expired and stays dead; make a new one (`conflict`, with `field` `status`).",
    ),
    (documented::INVALID, 422, "A field holds a value that is not allowed (`invalid_field`, with `field`)."),
    (
        documented::RATE_LIMITED,
        429,
        "Too many attempts for this account or from this address (`rate_limited`); retry after the seconds in \
         `Retry-After`.",
    ),
    (documented::UNAVAILABLE, 503, "Storage is unavailable; nothing was changed (`unavailable`)."),
];

const fn statuses_are_distinct(documented: u16) -> bool {
    let mut i = 0;
    while i < DOCUMENTED_RESPONSES.len() {
        let mut j = i + 1;
        while j < DOCUMENTED_RESPONSES.len() {
            let (bit_i, status_i, _) = DOCUMENTED_RESPONSES[i];
            let (bit_j, status_j, _) = DOCUMENTED_RESPONSES[j];
            if documented & bit_i != 0 && documented & bit_j != 0 && status_i == status_j {
                return false;
            }
            j += 1;
        }
        i += 1;
    }
    true
}

impl<const DOCUMENTED: u16> ApiResponse for Failure<DOCUMENTED> {
    fn meta() -> MetaResponses {
        let () = Self::ONE_RESPONSE_PER_STATUS;
        let responses = DOCUMENTED_RESPONSES
            .iter()
            .filter(|(bit, _, _)| DOCUMENTED & bit != 0)
            .map(|(bit, status, description)| MetaResponse {
                description,
                status: Some(*status),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/json; charset=utf-8",
                    schema: ErrorBody::schema_ref(),
                }],
                headers: if *bit == documented::RATE_LIMITED { vec![retry_after_header()] } else { Vec::new() },
            })
            .collect();
        MetaResponses { responses }
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
    }
}

fn retry_after_header() -> MetaHeader {
    MetaHeader {
        name: "Retry-After".to_owned(),
        description: Some("Seconds to wait before trying again.".to_owned()),
        required: true,
        deprecated: false,
        schema: u64::schema_ref(),
    }
}

/// Wraps one API operation so that whatever fails before or inside it —
/// credentials, content type, body, the use-case — leaves as JSON.
/// poem-openapi renders errors as plain text by itself, and does so before
/// any outer middleware sees them.
pub(crate) fn json_errors(endpoint: impl Endpoint) -> impl Endpoint {
    endpoint.map_to_response().catch_all_error(|error| async move { ApiError::from(error) })
}

/// The safety net under `/api`: an error that escaped as a `poem::Error`,
/// or a plain-text error response made below us (an unknown route inside
/// the OpenAPI service, a wrong method), becomes the JSON error shape.
pub(crate) async fn json_only<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let response = match endpoint.call(request).await {
        Ok(output) => output.into_response(),
        Err(error) => return Ok(ApiError::from(error).into_response()),
    };
    let failed = response.status().is_client_error() || response.status().is_server_error();
    let is_json = response.content_type().is_some_and(|content_type| content_type.starts_with("application/json"));
    if failed && !is_json {
        return Ok(ApiError::for_status(response.status()).into_response());
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ParseFromParameter;

    use super::*;

    fn mapped(error: AppError) -> (StatusCode, ErrorBody) {
        let api_error = ApiError::from(error);
        (api_error.status, api_error.body)
    }

    #[test]
    fn forbidden_is_403_with_the_reason() {
        let (status, body) = mapped(AppError::Forbidden("the operator role may not do this".to_owned()));
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body.error, "forbidden");
        assert_eq!(body.message, "the operator role may not do this");
        assert_eq!(body.field, None);
    }

    #[test]
    fn each_app_error_has_its_status_and_code() {
        let cases = [
            (AppError::Invalid(FieldError::new("pol.unlocode", "bad")), 422, "invalid_field", Some("pol.unlocode")),
            (AppError::NotFound, 404, "not_found", None),
            (AppError::Conflict { field: "code".into(), message: "taken".into() }, 409, "conflict", Some("code")),
            (AppError::Unauthorized, 401, "unauthorized", None),
            (AppError::Unavailable("connection refused".into()), 503, "unavailable", None),
        ];
        for (error, status, code, field) in cases {
            let (actual_status, body) = mapped(error);
            assert_eq!(actual_status.as_u16(), status, "{code}");
            assert_eq!(body.error, code);
            assert_eq!(body.field.as_deref(), field, "{code}");
        }
    }

    #[test]
    fn a_rate_limit_says_when_to_retry_rounded_up() {
        let retry_after = |wait: Duration| {
            let response = ApiError::from(AppError::RateLimited { retry_after: wait }).into_response();
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
            response.headers().get(header::RETRY_AFTER).and_then(|value| value.to_str().ok()).map(str::to_owned)
        };
        assert_eq!(retry_after(Duration::from_millis(1200)).as_deref(), Some("2"));
        assert_eq!(retry_after(Duration::from_secs(30)).as_deref(), Some("30"));
        assert_eq!(retry_after(Duration::ZERO).as_deref(), Some("1"));
    }

    #[test]
    fn only_the_api_key_refusal_asks_for_a_bearer_token() {
        let challenge = |error: ApiError| error.into_response().headers().get(header::WWW_AUTHENTICATE).cloned();
        assert_eq!(challenge(ApiError::unauthorized()), Some(HeaderValue::from_static("Bearer")));
        assert_eq!(challenge(ApiError::signed_out()), None);
        assert_eq!(challenge(AppError::InvalidCredentials.into()), None);
    }

    #[test]
    fn an_operation_may_not_document_two_failures_with_one_status() {
        use documented::*;
        assert!(statuses_are_distinct(STAFF_CALL | BAD_REQUEST | NOT_FOUND | CONFLICT | INVALID));
        assert!(statuses_are_distinct(BAD_REQUEST | INVALID_CREDENTIALS | RATE_LIMITED | UNAVAILABLE));
        assert!(!statuses_are_distinct(PORTAL_CALL | INVALID_TOKEN));
        assert!(!statuses_are_distinct(UNAUTHORIZED | SIGNED_OUT));
    }

    #[test]
    fn storage_details_never_reach_the_client() {
        let (_, body) = mapped(AppError::Unavailable("pool timed out on db.internal:5432".into()));
        assert!(!body.message.contains("db.internal"), "{}", body.message);
    }

    #[test]
    fn poem_errors_are_mapped_by_type() {
        let cases: [(poem::Error, u16, &str); 5] = [
            (ParseRequestPayloadError { reason: "x".into() }.into(), 400, "bad_request"),
            (ContentTypeError::ExpectContentType.into(), 400, "bad_request"),
            (AuthorizationError.into(), 401, "unauthorized"),
            (NotFoundError.into(), 404, "not_found"),
            (MethodNotAllowedError.into(), 405, "method_not_allowed"),
        ];
        for (error, status, code) in cases {
            let api_error = ApiError::from(error);
            assert_eq!(api_error.status.as_u16(), status, "{code}");
            assert_eq!(api_error.body.error, code);
        }
    }

    /// What poem-openapi says when it cannot read `raw` as a `T` parameter.
    fn parameter_error<T: ParseFromParameter>(raw: &[&str]) -> poem::Error {
        let Err(error) = T::parse_from_parameters(raw) else { panic!("{raw:?} should not parse") };
        ParseParamError { name: "limit", reason: error.into_message() }.into()
    }

    #[test]
    fn a_refused_parameter_is_named_in_words_not_parser_internals() {
        let cases = [
            (parameter_error::<Option<u32>>(&["abc"]), "limit must be a whole number, 0 or more"),
            (parameter_error::<Option<u32>>(&["-1"]), "limit must be a whole number, 0 or more"),
            (parameter_error::<i64>(&["1.5"]), "limit must be a whole number"),
            (parameter_error::<f64>(&["lots"]), "limit must be a number"),
            (parameter_error::<Option<bool>>(&["yes"]), "limit must be true or false"),
            (parameter_error::<u32>(&[]), "limit is required"),
            (
                ParsePathError { name: "id", reason: "failed to parse \"Thing\": no".to_owned() }.into(),
                "id is not a value this call accepts",
            ),
        ];
        for (error, message) in cases {
            let api_error = ApiError::from(error);
            assert_eq!(api_error.status, StatusCode::BAD_REQUEST);
            assert_eq!(api_error.body.message, message);
            assert!(api_error.body.field.as_deref().is_some_and(|field| message.starts_with(field)));
        }
    }

    #[test]
    fn an_api_error_survives_the_trip_through_poem() {
        let original = ApiError::bad_request("nope", Some("events[0].published".into()));
        let back = ApiError::from(poem::Error::from(original.clone()));
        assert_eq!(back.body, original.body);
    }
}
