//! Every error the SDK returns, classified once, here: by its code, its HTTP status and how
//! the call failed (a timeout, a broken connection, a response that could not be read), into
//! the [`ErrorKind`] callers branch on. Apart from `sdk.rs` (the calls) because this is the
//! table the retry loop and the breakers depend on, and its tests are the table's.

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};

use crate::cognito::{CallError, ErrorKind};

/// Error codes that mean every call of the run will fail the same way.
const FATAL_CODES: &[&str] = &[
    "ResourceNotFoundException",
    "NotAuthorizedException",
    "AccessDeniedException",
    "AccessDenied",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSmsRoleAccessPolicyException",
    "InvalidSmsRoleTrustRelationshipException",
    "InvalidEmailRoleAccessPolicyException",
];

/// Error codes that mean "slow down".
const THROTTLE_CODES: &[&str] = &[
    "TooManyRequestsException",
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
];

/// Error codes for faults on the service side that may pass. LimitExceededException is here
/// rather than with the throttles: it can also mean a hard limit, so its retries are bounded.
const TRANSIENT_CODES: &[&str] = &[
    "InternalErrorException",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "LimitExceededException",
];

/// Classifies any SDK error by its code, HTTP status and failure kind.
pub fn classify<E, R>(err: &SdkError<E, R>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + HttpStatus,
{
    match err {
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or("Unknown");
            let message = se.err().message().unwrap_or("").to_string();
            let status = se.raw().status();
            CallError::new(kind_of(code, status), code, message)
        }
        SdkError::ResponseError(re) => {
            let status = re.raw().status();
            let kind = if status >= 500 || status == 429 {
                kind_of("", status)
            } else {
                ErrorKind::Row
            };
            CallError::new(kind, format!("HttpStatus{status}"), "unreadable response")
        }
        SdkError::TimeoutError(_) => CallError {
            maybe_applied: true,
            ..CallError::new(ErrorKind::Transient, "Timeout", "no answer in time")
        },
        SdkError::DispatchFailure(df) if df.is_io() || df.is_timeout() => CallError {
            maybe_applied: true,
            ..CallError::new(ErrorKind::Transient, "ConnectionError", chain(err))
        },
        SdkError::DispatchFailure(df) if df.is_user() => {
            CallError::new(ErrorKind::Fatal, "RequestFailed", chain(err))
        }
        SdkError::DispatchFailure(_) => {
            CallError::new(ErrorKind::Transient, "ConnectionError", chain(err))
        }
        _ => CallError::new(ErrorKind::Fatal, "RequestFailed", chain(err)),
    }
}

/// The kind of a service error, from its code first and its HTTP status second.
pub fn kind_of(code: &str, status: u16) -> ErrorKind {
    if FATAL_CODES.contains(&code) {
        ErrorKind::Fatal
    } else if THROTTLE_CODES.contains(&code) || status == 429 {
        ErrorKind::Throttled
    } else if TRANSIENT_CODES.contains(&code) || status >= 500 {
        ErrorKind::Transient
    } else {
        ErrorKind::Row
    }
}

pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// The HTTP status of a raw response, whatever its type.
pub trait HttpStatus {
    fn status(&self) -> u16;
}

impl HttpStatus for aws_smithy_runtime_api::http::Response {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_codes() {
        assert_eq!(
            kind_of("TooManyRequestsException", 400),
            ErrorKind::Throttled
        );
        assert_eq!(kind_of("UserNotFoundException", 400), ErrorKind::Row);
        assert_eq!(kind_of("ResourceNotFoundException", 400), ErrorKind::Fatal);
        assert_eq!(kind_of("NotAuthorizedException", 400), ErrorKind::Fatal);
        assert_eq!(kind_of("InternalErrorException", 500), ErrorKind::Transient);
        assert_eq!(kind_of("Whatever", 503), ErrorKind::Transient);
        assert_eq!(kind_of("", 429), ErrorKind::Throttled);
        assert_eq!(kind_of("InvalidParameterException", 400), ErrorKind::Row);
    }
}
