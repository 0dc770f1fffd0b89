//! What goes wrong on the web, as the person sees it: a page with a status, their
//! words, and a way back. The engineer's detail goes to the log.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
#[allow(unused_imports)] // the page layout names roles
use tagstation_core::people::Role;

use tagstation_hub::HubError;
use tagstation_ops::OpError;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Signed in, but this needs another role.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The operation refused (the operations layer's words).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    BadRequest(String),
    /// A form without this session's CSRF token.
    #[error(
        "this form has expired or did not come from this page; go back, reload it and try again"
    )]
    Csrf,
    #[error("too many failed sign-ins from here; wait a minute and try again")]
    TooMany,
    /// An upload over the size a route takes; nothing was read or changed.
    #[error("{0}")]
    TooLarge(String),
    /// A bearer token that is unknown, revoked, or whose person may no longer act.
    #[error("this token is not valid: it is unknown or revoked, or its person is inactive")]
    Unauthorized,
    #[error("the hub could not complete this; try again")]
    Internal(String),
}

impl From<HubError> for WebError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::NotFound(what) => WebError::NotFound(format!("not found: {what}")),
            HubError::Domain(d) => WebError::Refused(d.to_string()),
            HubError::BadRequest(m) => WebError::BadRequest(m),
            HubError::Exists(what) => WebError::Refused(format!("already exists: {what}")),
            e @ HubError::TagsExhausted(_) => WebError::Refused(e.to_string()),
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<OpError> for WebError {
    fn from(e: OpError) -> Self {
        match &e {
            OpError::NotFound { .. } => WebError::NotFound(e.user_message()),
            OpError::Storage { .. } => WebError::Internal(e.to_string()),
            _ => WebError::Refused(e.user_message()),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    me: Option<crate::session::Me>,
    title: &'a str,
    message: String,
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::Forbidden(_) | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::TooMany => StatusCode::TOO_MANY_REQUESTS,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::Internal(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let WebError::Internal(detail) = &self {
            tracing::error!(%detail, "web request failed");
        } else {
            tracing::info!(status = status.as_u16(), reason = %self, "web request refused");
        }
        let title = match status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::UNPROCESSABLE_ENTITY => "Not done",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            StatusCode::PAYLOAD_TOO_LARGE => "File too large",
            StatusCode::UNAUTHORIZED => "Not signed in",
            StatusCode::BAD_REQUEST => "Bad request",
            _ => "Something went wrong",
        };
        let page = ErrorPage {
            me: None,
            title,
            message: self.to_string(),
        };
        let mut r = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.to_string()).into_response(),
        };
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"tagstation\""),
            );
        }
        r
    }
}
