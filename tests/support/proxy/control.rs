//! The proxy's control paths (`/__proxy/config`, `/__proxy/script`, `/__proxy/reset`, and any
//! other for the stats), for the benchmark that runs it as a process.

use std::sync::Mutex;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::http::Request;
use super::{Config, Scripted, State, Stats};

pub(super) fn control(state: &Mutex<State>, request: &Request) -> String {
    let mut s = state.lock().unwrap();
    match request.path.as_str() {
        "/__proxy/config" => match serde_json::from_slice::<Config>(&request.body) {
            Ok(config) => {
                s.rng = StdRng::seed_from_u64(config.seed);
                s.config = config;
                s.buckets.clear();
                "{}".into()
            }
            Err(e) => serde_json::json!({ "error": e.to_string() }).to_string(),
        },
        "/__proxy/script" => match serde_json::from_slice::<Vec<Scripted>>(&request.body) {
            Ok(items) => {
                s.script.extend(items);
                "{}".into()
            }
            Err(e) => serde_json::json!({ "error": e.to_string() }).to_string(),
        },
        "/__proxy/reset" => {
            s.stats = Stats::default();
            "{}".into()
        }
        _ => serde_json::to_string(&s.stats).unwrap(),
    }
}
