//! Errors as the API answers them (`{"error", "code"}` with a status), and running
//! a blocking store call on the blocking pool.

use super::*;

/// An error as the API answers it.
pub struct ApiError {
    status: StatusCode,
    pub(super) code: &'static str,
    message: String,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub(super) fn unauthorized(msg: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", msg)
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        use HubError::*;
        match &e {
            Domain(d) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", d.to_string()),
            NotFound(_) => Self::new(StatusCode::NOT_FOUND, "not_found", e.to_string()),
            Exists(_) => Self::new(StatusCode::CONFLICT, "exists", e.to_string()),
            BadCode => Self::new(StatusCode::UNAUTHORIZED, "bad_code", e.to_string()),
            BadRequest(_) => Self::new(StatusCode::BAD_REQUEST, "bad_request", e.to_string()),
            TagsExhausted(_) => {
                Self::new(StatusCode::CONFLICT, proto::TAGS_EXHAUSTED, e.to_string())
            }
            _ => {
                tracing::error!(error = %e, "hub storage error");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage",
                    "the hub could not complete this; try again",
                )
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "request body too large",
            );
        }
        Self::new(StatusCode::BAD_REQUEST, "bad_json", r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message,
            code: self.code.into(),
        };
        (self.status, Json(body)).into_response()
    }
}

pub(super) type ApiResult<T> = Result<Json<T>, ApiError>;

/// Run a blocking store call on the blocking pool.
pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, HubError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(HubError::Task(e.to_string()).into()),
    }
}
