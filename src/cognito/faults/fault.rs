//! The faults a [`super::Faulty`] pool answers scripted calls with, each classified as the
//! SDK pool classifies the real one.

use std::time::Duration;

use crate::cognito::{CallError, ErrorKind};

/// What a scripted call gets instead of its plain answer.
#[derive(Debug, Clone)]
pub enum Fault {
    /// This error at once; the call never reaches the pool (a throttle, a 5xx, a refusal, a
    /// connection reset before the request left).
    Answer(CallError),
    /// The call reaches the pool and is applied, then its answer is lost: this error, marked
    /// `maybe_applied` (a reset after the request was sent, an answer after the timeout).
    Lost(CallError),
    /// The answer comes this much later; the call goes through.
    Delay(Duration),
}

impl Fault {
    /// TooManyRequestsException, as the proxy's throttle answers.
    pub fn throttle() -> Fault {
        Fault::Answer(CallError::new(
            ErrorKind::Throttled,
            "TooManyRequestsException",
            "Rate exceeded",
        ))
    }

    /// HTTP 500 InternalErrorException.
    pub fn internal_error() -> Fault {
        Fault::Answer(CallError::new(
            ErrorKind::Transient,
            "InternalErrorException",
            "injected fault",
        ))
    }

    /// HTTP 503 with an HTML body, as the SDK classifies it.
    pub fn unavailable() -> Fault {
        Fault::Answer(CallError::new(
            ErrorKind::Transient,
            "HttpStatus503",
            "unreadable response",
        ))
    }

    /// The connection reset before the request was forwarded: not applied, but the SDK cannot
    /// tell, so the outcome is unknown (as `sdk::classify` says of any I/O failure).
    pub fn reset_before() -> Fault {
        Fault::Answer(CallError {
            maybe_applied: true,
            ..CallError::new(ErrorKind::Transient, "ConnectionError", "connection reset")
        })
    }

    /// The connection reset after the request was forwarded: applied, answer lost.
    pub fn reset_after() -> Fault {
        Fault::Lost(CallError::new(
            ErrorKind::Transient,
            "ConnectionError",
            "connection reset",
        ))
    }

    /// The answer came after the call timeout: applied, answer lost.
    pub fn timeout() -> Fault {
        Fault::Lost(CallError::new(
            ErrorKind::Transient,
            "Timeout",
            "no answer in time",
        ))
    }

    /// A refusal that would stop every row (NotAuthorizedException, AccessDeniedException).
    pub fn fatal(code: &str) -> Fault {
        Fault::Answer(CallError::new(ErrorKind::Fatal, code, "injected fault"))
    }

    /// A refusal of this row only (InvalidParameterException, UserNotFoundException).
    pub fn row(code: &str) -> Fault {
        Fault::Answer(CallError::new(ErrorKind::Row, code, "injected fault"))
    }
}
