//! Fault scripting around any [`Pool`], as mountpoint-s3's failure client wraps any client:
//! [`Faulty`] answers the calls a test scripts with throttles, 5xx, lost answers, delays or
//! fatal refusals (and throttles calls over a quota), and passes every other call through to
//! the pool inside. The engine's handling of faults is tested in-process this way, on the
//! fake pool, without a server; what the wire does (the SDK's mapping of a real reset or 503,
//! a timeout) is tested against moto through the project's fault proxy, whose faults the
//! constructors of [`Fault`] copy, codes included.
//!
//! It keeps its own log of the calls it received (the proxy's "received"); the pool inside
//! logs the calls that reached it (the proxy's "forwarded").

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_sdk_cognitoidentityprovider::types::UserPoolType;

use super::api::Api;
use super::call::Call;
use super::{CallError, GroupPage, Page, Pool, User, config::Provider};

/// Calls of `call` (any if None) from its `from`-th on (1-based, counted from the start)
/// get `fault`, `count` times.
struct Rule {
    call: Option<Api>,
    from: usize,
    count: usize,
    fault: Fault,
}

/// A token bucket: calls of `call` beyond it are throttled, as Cognito's quotas do.
struct Quota {
    call: Api,
    per_second: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

#[derive(Default)]
struct Script {
    rules: Vec<Rule>,
    quotas: Vec<Quota>,
    calls: Vec<(Api, String)>,
    injected: usize,
}

/// A pool whose calls answer as scripted. Clones share the script and the log.
#[derive(Clone)]
pub struct Faulty<P> {
    inner: P,
    script: Arc<Mutex<Script>>,
}

impl<P: Pool> Faulty<P> {
    pub fn new(inner: P) -> Faulty<P> {
        Faulty {
            inner,
            script: Arc::default(),
        }
    }

    /// The pool inside.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// The next `count` calls of `call` (any call if None) get `fault`.
    pub fn fail(&self, call: impl Into<Option<Api>>, fault: Fault, count: usize) {
        self.fail_from(call, 1, fault, count);
    }

    /// Calls of `call` (any if None) from its `from`-th call on (1-based, counted from the
    /// start) get `fault`, `count` times. Rules are tried in the order given.
    pub fn fail_from(&self, call: impl Into<Option<Api>>, from: usize, fault: Fault, count: usize) {
        let call = call.into();
        self.lock().rules.push(Rule {
            call,
            from,
            count,
            fault,
        });
    }

    /// Calls of `call` over `per_second` (with a burst of `burst`) are throttled.
    pub fn quota(&self, call: Api, per_second: f64, burst: f64) {
        self.lock().quotas.push(Quota {
            call,
            per_second,
            burst,
            tokens: burst,
            at: Instant::now(),
        });
    }

    /// Every call received: (call, username or filter), faulted ones included.
    pub fn calls(&self) -> Vec<(Api, String)> {
        self.lock().calls.clone()
    }

    /// How many calls of `call` were received.
    pub fn count(&self, call: Api) -> usize {
        self.lock().calls.iter().filter(|(c, _)| *c == call).count()
    }

    /// How many calls were given a fault (scripted or over a quota).
    pub fn injected(&self) -> usize {
        self.lock().injected
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().expect("fault script lock")
    }

    /// Logs the call and picks its fault, if any.
    fn enter(&self, call: Api, subject: &str) -> Option<Fault> {
        let mut script = self.lock();
        script.calls.push((call, subject.to_string()));
        let nth = script.calls.iter().filter(|(c, _)| *c == call).count();
        let rule = script
            .rules
            .iter_mut()
            .find(|r| r.count > 0 && r.call.is_none_or(|c| c == call) && nth >= r.from);
        let fault = match rule {
            Some(r) => {
                r.count -= 1;
                Some(r.fault.clone())
            }
            None => over_quota(&mut script.quotas, call).then(Fault::throttle),
        };
        script.injected += usize::from(fault.is_some());
        fault
    }

    /// The call, with its scripted fault if it has one.
    async fn call<T>(
        &self,
        call: Api,
        subject: &str,
        inner: impl Future<Output = Result<T, CallError>>,
    ) -> Result<T, CallError> {
        match self.enter(call, subject) {
            None => inner.await,
            Some(Fault::Answer(err)) => Err(err),
            Some(Fault::Lost(err)) => {
                let _ = inner.await;
                Err(CallError {
                    maybe_applied: true,
                    ..err
                })
            }
            Some(Fault::Delay(wait)) => {
                tokio::time::sleep(wait).await;
                inner.await
            }
        }
    }
}

/// Takes a token of `call`'s quota; true if there was none.
fn over_quota(quotas: &mut [Quota], call: Api) -> bool {
    let Some(q) = quotas.iter_mut().find(|q| q.call == call) else {
        return false;
    };
    let now = Instant::now();
    let refill = now.duration_since(q.at).as_secs_f64() * q.per_second;
    q.tokens = (q.tokens + refill).min(q.burst);
    q.at = now;
    if q.tokens >= 1.0 {
        q.tokens -= 1.0;
        return false;
    }
    true
}

impl<P: Pool> Pool for Faulty<P> {
    fn list_pages_per_second(&self) -> f64 {
        self.inner.list_pages_per_second()
    }

    async fn describe(&self) -> Result<UserPoolType, CallError> {
        self.call(Api::Describe, "", self.inner.describe()).await
    }

    async fn list_page(
        &self,
        filter: Option<&str>,
        token: Option<&str>,
        limit: i32,
    ) -> Result<Page, CallError> {
        let inner = self.inner.list_page(filter, token, limit);
        self.call(Api::ListUsers, filter.unwrap_or(""), inner).await
    }

    async fn get_user(&self, username: &str) -> Result<Option<User>, CallError> {
        self.call(Api::GetUser, username, self.inner.get_user(username))
            .await
    }

    async fn identity_providers(&self) -> Result<Vec<Provider>, CallError> {
        let inner = self.inner.identity_providers();
        self.call(Api::IdentityProviders, "", inner).await
    }

    async fn send(&self, call: &Call) -> Result<(), CallError> {
        self.call(call.api(), call.username(), self.inner.send(call))
            .await
    }

    async fn list_groups_page(&self, token: Option<&str>) -> Result<GroupPage, CallError> {
        let inner = self.inner.list_groups_page(token);
        self.call(Api::ListGroups, "", inner).await
    }

    async fn list_group_page(
        &self,
        group: &str,
        token: Option<&str>,
        limit: i32,
    ) -> Result<Page, CallError> {
        let inner = self.inner.list_group_page(group, token, limit);
        self.call(Api::ListUsersInGroup, group, inner).await
    }

    async fn user_groups_page(
        &self,
        username: &str,
        token: Option<&str>,
    ) -> Result<GroupPage, CallError> {
        let inner = self.inner.user_groups_page(username, token);
        self.call(Api::ListGroupsForUser, username, inner).await
    }
}

mod fault;
pub use fault::Fault;

#[cfg(test)]
mod tests;
