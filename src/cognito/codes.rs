//! The error codes of Cognito's answers that the tool branches on by name. Every other code
//! is carried as the service spelled it (`CallError::code`), only reported; the kind of an
//! error (`ErrorKind`) is what callers branch on, and `sdk::classify` sets it.

/// No such user: AdminGetUser's answer means "not there", not a failure; also the code of a
/// row whose user is not found (`Code::UserNotFound` spells it so, so that a row's problem and
/// the call's answer read alike).
pub const USER_NOT_FOUND: &str = "UserNotFoundException";

/// A denied call (IAM's spelling, and the one some endpoints use): a denied DescribeUserPool
/// lets the setup check go on without the schema.
pub const ACCESS_DENIED: [&str; 2] = ["AccessDeniedException", "AccessDenied"];

/// A request Cognito refused as malformed for this user: sending it again as it is fails
/// again, so `--retry-failed` leaves such rows.
pub const INVALID_PARAMETER: &str = "InvalidParameterException";

/// The tool's own code for a call it stopped waiting for because the run was interrupted.
pub const INTERRUPTED: &str = "Interrupted";
