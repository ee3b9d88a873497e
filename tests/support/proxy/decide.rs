//! How the proxy picks its answer to a request: a scripted fault first, then the quotas (a
//! bucket per operation, then one per quota category), then chance; and what it counts.

use std::net::SocketAddr;
use std::sync::Mutex;

use rand::Rng;

use super::http::Request;
use super::{Fault, State, category};

/// Picks the fault for this request (script first, then quota, then chance) and counts it.
pub(super) fn decide(
    state: &Mutex<State>,
    op: &str,
    request: &Request,
) -> (Option<Fault>, SocketAddr) {
    let mut s = state.lock().unwrap();
    *s.stats.received.entry(op.to_string()).or_default() += 1;
    if s.config.record_bodies {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        s.stats.bodies.push((op.to_string(), body));
    }
    let mut fault = None;
    if let Some(i) = s
        .script
        .iter()
        .position(|x| x.op.as_deref().is_none_or(|o| o == op))
    {
        let item = &mut s.script[i];
        fault = Some(item.fault.clone());
        item.count -= 1;
        if item.count == 0 {
            s.script.remove(i);
        }
    }
    if fault.is_none()
        && let Some(cfg) = s.config.throttle.get(op).copied()
        && !category::take(&mut s.buckets, op, cfg)
    {
        fault = Some(Fault::Throttle);
    }
    if let Some(name) = category::of(op) {
        *s.stats.received_by_category.entry(name.into()).or_default() += 1;
        if fault.is_none()
            && let Some(cfg) = s.config.category_throttle.get(name).copied()
            && !category::take(&mut s.buckets, &format!("category:{name}"), cfg)
        {
            fault = Some(Fault::Throttle);
            *s.stats
                .throttled_by_category
                .entry(name.into())
                .or_default() += 1;
        }
    }
    let random = s.config.random.clone();
    if fault.is_none()
        && random
            .ops
            .as_ref()
            .is_none_or(|ops| ops.iter().any(|o| o == op))
    {
        let roll: f64 = s.rng.random();
        let mut edge = 0.0;
        for (p, f) in [
            (random.error500, Fault::Error500),
            (random.error503, Fault::Error503),
            (random.reset_before, Fault::ResetBefore),
            (random.reset_after, Fault::ResetAfter),
            (random.slow, Fault::DelayMs(random.slow_ms)),
        ] {
            edge += p;
            if roll < edge {
                fault = Some(f);
                break;
            }
        }
    }
    if let Some(f) = &fault {
        *s.stats.injected.entry(f.name()).or_default() += 1;
    }
    (fault, s.upstream)
}

pub(super) fn count_forwarded(state: &Mutex<State>, op: &str) {
    let mut s = state.lock().unwrap();
    *s.stats.forwarded.entry(op.to_string()).or_default() += 1;
}
