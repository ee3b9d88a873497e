//! A fault-injecting HTTP proxy between the tool and moto, for the faults moto cannot make:
//! throttling (a token bucket per operation, or per quota category as Cognito meters it,
//! answered as Cognito answers a throttle), 500s and 503s,
//! connections reset before or after the request is forwarded, and slow answers. Faults come
//! from a scripted queue ("fail the next N calls with X") or at seeded random rates, and the
//! proxy counts everything it did so that tests can assert on it.
//!
//! Tests run it in-process ([`FaultProxy::start`]); the benchmark runs it as a process
//! (`examples/fault_proxy.rs`) and talks to its control paths: `GET /__proxy/stats`,
//! `POST /__proxy/config` (a [`Config`] as JSON), `POST /__proxy/script` (a list of
//! [`Scripted`]) and `POST /__proxy/reset` (clears the counters).

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

mod category;
mod control;
mod decide;
mod http;
mod stub;

use control::control;
use decide::{count_forwarded, decide};
use http::{cognito_error, forward, read_request, reset, write_response};

/// A token bucket for one operation: `rps` tokens a second, at most `burst` saved up.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct BucketConfig {
    pub rps: f64,
    pub burst: f64,
}

/// Faults injected at random, each with its own probability per request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RandomFaults {
    /// Operations affected (None: all).
    pub ops: Option<Vec<String>>,
    pub error500: f64,
    pub error503: f64,
    pub reset_before: f64,
    pub reset_after: f64,
    pub slow: f64,
    pub slow_ms: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Per-operation quotas, e.g. `AdminUpdateUserAttributes`.
    pub throttle: HashMap<String, BucketConfig>,
    /// Per-category quotas, by Cognito's category name (`UserUpdate`, `UserRead`): one bucket
    /// shared by every operation of the category (`category.rs`), as Cognito meters them.
    pub category_throttle: HashMap<String, BucketConfig>,
    pub random: RandomFaults,
    /// Keep every request body (to check what the tool sent).
    pub record_bodies: bool,
    /// Answer every call with `200 {}` instead of forwarding: a fast endpoint for measuring
    /// the client alone (no upstream is contacted).
    pub stub: bool,
    pub seed: u64,
}

impl Config {
    /// No faults; every request body kept, to check what the tool sent.
    pub fn recording() -> Config {
        Config {
            record_bodies: true,
            ..Config::default()
        }
    }
}

/// One fault the proxy can make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    Throttle,
    Error500,
    Error503,
    /// Reset the connection without forwarding: the call was not applied.
    ResetBefore,
    /// Forward, then reset instead of answering: the call was applied, the client cannot know.
    ResetAfter,
    /// Forward after this many milliseconds.
    DelayMs(u64),
    /// Forward at once (the call is applied), then hold the answer back this many
    /// milliseconds: a process killed meanwhile never learns the outcome.
    HoldAnswerMs(u64),
    /// Answer with this HTTP status and Cognito error code, without forwarding.
    Error {
        status: u16,
        code: String,
    },
}

impl Fault {
    fn name(&self) -> String {
        match self {
            Fault::DelayMs(_) => "delay".into(),
            Fault::HoldAnswerMs(_) => "hold_answer".into(),
            Fault::Error { code, .. } => code.clone(),
            other => serde_json::to_value(other)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string(),
        }
    }
}

/// "Make the next `count` calls of `op` (any operation if None) fail with `fault`."
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scripted {
    pub op: Option<String>,
    pub fault: Fault,
    pub count: u32,
}

/// What the proxy saw and did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Requests received, by operation.
    pub received: BTreeMap<String, u64>,
    /// Requests forwarded to moto, by operation.
    pub forwarded: BTreeMap<String, u64>,
    /// Faults injected, by fault name.
    pub injected: BTreeMap<String, u64>,
    /// Requests received, by quota category (operations of no known category not counted).
    pub received_by_category: BTreeMap<String, u64>,
    /// Requests throttled by a category's bucket, by category.
    pub throttled_by_category: BTreeMap<String, u64>,
    /// (operation, body) of every request, when `record_bodies` is set.
    pub bodies: Vec<(String, String)>,
}

struct State {
    upstream: SocketAddr,
    config: Config,
    script: VecDeque<Scripted>,
    buckets: HashMap<String, (f64, Instant)>,
    rng: StdRng,
    stats: Stats,
}

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr, config: Config) -> FaultProxy {
        Self::start_on("127.0.0.1:0".parse().unwrap(), upstream, config).await
    }

    pub async fn start_on(listen: SocketAddr, upstream: SocketAddr, config: Config) -> FaultProxy {
        let listener = TcpListener::bind(listen).await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            upstream,
            rng: StdRng::seed_from_u64(config.seed),
            config,
            script: VecDeque::new(),
            buckets: HashMap::new(),
            stats: Stats::default(),
        }));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let _ = conn.set_nodelay(true);
                let state = shared.clone();
                tokio::spawn(async move {
                    let _ = serve(conn, state).await;
                });
            }
        });
        FaultProxy { addr, state, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn script(&self, items: impl IntoIterator<Item = Scripted>) {
        self.state.lock().unwrap().script.extend(items);
    }

    pub fn set_config(&self, config: Config) {
        let mut s = self.state.lock().unwrap();
        s.rng = StdRng::seed_from_u64(config.seed);
        s.config = config;
        s.buckets.clear();
    }

    pub fn stats(&self) -> Stats {
        self.state.lock().unwrap().stats.clone()
    }
}

/// Serves one client connection, request after request (the SDK keeps connections alive).
async fn serve(mut conn: TcpStream, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        let Some(request) = read_request(&mut conn, &mut buf).await? else {
            return Ok(());
        };
        if request.path.starts_with("/__proxy/") {
            let body = control(&state, &request);
            write_response(&mut conn, 200, "application/json", body.as_bytes()).await?;
            continue;
        }
        let op = request
            .header("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("unknown")
            .to_string();
        let (fault, upstream) = decide(&state, &op, &request);
        match fault {
            Some(Fault::Throttle) => {
                cognito_error(&mut conn, 400, "TooManyRequestsException", "Rate exceeded").await?
            }
            Some(Fault::Error500) => {
                cognito_error(&mut conn, 500, "InternalErrorException", "injected fault").await?
            }
            Some(Fault::Error503) => {
                write_response(
                    &mut conn,
                    503,
                    "text/html",
                    b"<html>Service Unavailable</html>",
                )
                .await?
            }
            Some(Fault::Error { status, code }) => {
                cognito_error(&mut conn, status, &code, "injected fault").await?
            }
            Some(Fault::ResetBefore) => return reset(conn),
            Some(Fault::HoldAnswerMs(ms)) => {
                let response = forward(upstream, &request).await?;
                count_forwarded(&state, &op);
                tokio::time::sleep(Duration::from_millis(ms)).await;
                conn.write_all(&response).await?;
            }
            Some(Fault::ResetAfter) => {
                forward(upstream, &request).await?;
                count_forwarded(&state, &op);
                return reset(conn);
            }
            Some(Fault::DelayMs(_)) | None => {
                if let Some(Fault::DelayMs(ms)) = fault {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                }
                let stub = state.lock().unwrap().config.stub;
                if stub && let Some(code) = stub::refused(&op, &request) {
                    cognito_error(&mut conn, 400, code, "injected by the stub").await?;
                    continue;
                }
                if stub {
                    let body = stub::answer(&op, &request);
                    write_response(&mut conn, 200, "application/x-amz-json-1.1", &body).await?;
                    continue;
                }
                let response = forward(upstream, &request).await?;
                count_forwarded(&state, &op);
                conn.write_all(&response).await?;
            }
        }
    }
}
