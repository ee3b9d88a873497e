//! The one seam between the tool and Cognito: every call the tool makes (DescribeUserPool,
//! ListUsers, AdminGetUser, and the writes of [`call::Call`]) goes through the [`Pool`] trait.
//! [`sdk::SdkPool`] is the real one. For tests and benchmarks only (`cfg(test)` or the `fake`
//! feature, never in the release binary): `fake::FakePool`, an in-process pool (schema, users,
//! a call log, the verification messages real Cognito would send), and `faults::Faulty`,
//! which wraps any pool and answers scripted calls with faults; both name the calls they see
//! by [`api::Api`]. Errors come back classified ([`CallError`]), so callers branch on
//! [`ErrorKind`], never on strings.

pub mod api;
pub mod aws;
pub mod call;
pub mod codes;
pub mod config;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
#[cfg(any(test, feature = "fake"))]
pub mod faults;
pub mod groups;
pub mod pacing;
pub mod pager;
pub mod rules;
pub mod sdk;
pub mod signin;

use std::future::Future;

use aws_sdk_cognitoidentityprovider::types::UserPoolType;

use call::Call;

/// A user as ListUsers or AdminGetUser returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    pub username: String,
    /// Every attribute the pool returned (including `sub`), name -> value.
    pub attributes: Vec<(String, String)>,
    pub status: Option<String>,
    pub enabled: Option<bool>,
}

impl User {
    /// The value of attribute `name`; a blank value counts as absent (Cognito never holds
    /// one; some emulators do).
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// One page of ListUsers.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub users: Vec<User>,
    /// The token of the next page; None on the last.
    pub next: Option<String>,
}

/// One page of ListGroups: group names.
#[derive(Debug, Clone, Default)]
pub struct GroupPage {
    pub groups: Vec<String>,
    /// The token of the next page; None on the last.
    pub next: Option<String>,
}

/// A user pool: the calls the tool makes. Implementations classify their errors.
pub trait Pool: Clone + Send + Sync + 'static {
    /// The pool's description (schema, estimated size): DescribeUserPool.
    fn describe(&self) -> impl Future<Output = Result<UserPoolType, CallError>> + Send;

    /// One page of users (ListUsers, at most `limit`), narrowed by a ListUsers `filter`.
    fn list_page(
        &self,
        filter: Option<&str>,
        token: Option<&str>,
        limit: i32,
    ) -> impl Future<Output = Result<Page, CallError>> + Send;

    /// One user (AdminGetUser; makes the user a billable monthly active user), None if the
    /// pool has no such user.
    fn get_user(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<User>, CallError>> + Send;

    /// ListUsers pages a second the tool may read: by default well under the UserList quota
    /// of 30/s, which the live app shares (an in-process pool has no quota).
    fn list_pages_per_second(&self) -> f64 {
        20.0
    }

    /// The pool's external identity providers with the user pool attributes each one's
    /// AttributeMapping writes at every sign-in (ListIdentityProviders, then
    /// DescribeIdentityProvider for each).
    fn identity_providers(
        &self,
    ) -> impl Future<Output = Result<Vec<config::Provider>, CallError>> + Send;

    /// One page of the pool's group names (ListGroups, 60 at most a page).
    fn list_groups_page(
        &self,
        token: Option<&str>,
    ) -> impl Future<Output = Result<GroupPage, CallError>> + Send;
    /// One page of the members of `group` (ListUsersInGroup, at most `limit`, 60 at most):
    /// a group's membership read at one call per 60 members, not one per user. A group the
    /// pool lacks is an error (`ResourceNotFoundException`).
    fn list_group_page(
        &self,
        group: &str,
        token: Option<&str>,
        limit: i32,
    ) -> impl Future<Output = Result<Page, CallError>> + Send;
    /// One page of the groups `username` is in (AdminListGroupsForUser, 60 at most a page;
    /// UserResourceRead): read just before a row's group operations are sent, so that one already
    /// done costs no call and the journal holds the membership from before the run.
    fn user_groups_page(
        &self,
        username: &str,
        token: Option<&str>,
    ) -> impl Future<Output = Result<GroupPage, CallError>> + Send;
    /// The one write: sends `call` (one of the typed writes of [`call::Call`]).
    fn send(&self, call: &Call) -> impl Future<Output = Result<(), CallError>> + Send;
}

/// How a failed call should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The service asked us to slow down: retry after backing off, and lower the rate.
    Throttled,
    /// A fault that may pass (5xx, internal error, timeout, broken connection): retry a
    /// bounded number of times.
    Transient,
    /// This row cannot be applied (e.g. the user does not exist): fail it, go on.
    Row,
    /// Every row would fail the same way (wrong pool, bad credentials, no permission):
    /// stop the run.
    Fatal,
}

/// A failed call, classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub kind: ErrorKind,
    /// Cognito's error code, or a code of the tool's own for failures without one
    /// (`Timeout`, `ConnectionError`, `HttpStatus500`, ...).
    pub code: String,
    pub message: String,
    /// True when the request may have reached the service before the connection broke:
    /// the outcome is unknown. Retrying is still safe because an update sets absolute values.
    pub maybe_applied: bool,
}

impl CallError {
    pub fn new(kind: ErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        CallError {
            kind,
            code: code.into(),
            message: message.into(),
            maybe_applied: false,
        }
    }
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}
