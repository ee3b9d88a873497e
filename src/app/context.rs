//! What every command is handed instead of building it: the way to the pool (real or fake),
//! the printer, the reporters, the stop token and whether a question can be asked. The
//! commands are generic over [`Connect`], so the same orchestration (resume, backfill,
//! rollback) runs on the SDK pool in the binary and on a fake pool in-process.

use std::future::Future;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cognitoidentityprovider::types::UserPoolType;
use tokio_util::sync::CancellationToken;

use super::outcome::{Failure, setup};
use super::printer::Printer;
use super::signals::Signals;
use crate::cli::Global;
use crate::cognito::Pool;
use crate::progress::{Bar, LogLines, Quiet, Reporter};

/// A pool opened and checked before any write.
pub struct Opened<P> {
    pub pool: P,
    /// The pool as DescribeUserPool gave it (None if that call was denied).
    pub described: Option<UserPoolType>,
    /// Something the user should know, though not a reason to stop.
    pub warning: Option<String>,
}

impl<P> Opened<P> {
    /// The pool's description, for the steps that check the schema before deciding (`plan`,
    /// computed backfills, named by `who`): there a denied DescribeUserPool is a setup error,
    /// not a skipped check.
    pub fn described(&self, pool_id: &str, who: &str) -> Result<&UserPoolType, Failure> {
        self.described.as_ref().ok_or_else(|| {
            setup(anyhow::anyhow!(
                "{who} needs DescribeUserPool on {pool_id} to check the schema: {}",
                self.warning.clone().unwrap_or_default()
            ))
        })
    }
}

/// How a command reaches a pool: the SDK ([`super::Sdk`]) or a pool already made
/// ([`Given`], e.g. the fake).
pub trait Connect: Send + Sync {
    type Pool: Pool;

    /// The pool `pool_id`, checked (credentials, DescribeUserPool) before any write; each
    /// call waits at most `call_timeout` for its answer.
    fn open(
        &self,
        pool_id: &str,
        call_timeout: Duration,
    ) -> impl Future<Output = Result<Opened<Self::Pool>, Failure>> + Send;
}

/// A pool already made (the in-process fake): opening it describes it, whatever id is asked.
pub struct Given<P>(pub P);

impl<P: Pool> Connect for Given<P> {
    type Pool = P;

    async fn open(&self, pool_id: &str, _: Duration) -> Result<Opened<P>, Failure> {
        let described = self
            .0
            .describe()
            .await
            .map_err(|e| setup(anyhow::anyhow!("user pool {pool_id}: {}", e.message)))?;
        Ok(Opened {
            pool: self.0.clone(),
            described: Some(described),
            warning: None,
        })
    }
}

/// Where progress goes.
enum Progress {
    /// A bar on a terminal, else a log line every few seconds (`--quiet`: nothing).
    Terminal,
    /// Nowhere (in-process runs).
    Quiet,
}

/// A command's outside world.
pub struct Context<C> {
    connect: C,
    pub global: Global,
    signals: Signals,
    progress: Progress,
    /// Whether a question can be asked (standard input and standard error are a terminal).
    terminal: bool,
}

impl<C> Context<C> {
    /// The binary's context: this process's terminal and signals.
    pub fn new(connect: C, global: Global, signals: Signals) -> Context<C> {
        Context {
            connect,
            global,
            signals,
            progress: Progress::Terminal,
            terminal: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        }
    }

    /// An in-process context: no progress, no question, signals only `signals`' holder sends.
    pub fn in_process(connect: C, global: Global, signals: Signals) -> Context<C> {
        Context {
            connect,
            global,
            signals,
            progress: Progress::Quiet,
            terminal: false,
        }
    }

    pub fn printer(&self) -> Printer {
        Printer::new(&self.global)
    }

    /// A new reporter (a phase's progress ends with it).
    pub fn reporter(&self) -> Arc<dyn Reporter> {
        match self.progress {
            Progress::Quiet => Arc::new(Quiet),
            Progress::Terminal if self.global.quiet => Arc::new(Quiet),
            Progress::Terminal if std::io::stderr().is_terminal() && !self.global.log_json => {
                Arc::new(Bar::new())
            }
            Progress::Terminal => Arc::new(LogLines::new(Duration::from_secs(5))),
        }
    }

    /// The stop token; from the first call on, an interrupt stops the command gracefully.
    pub fn stop(&self) -> CancellationToken {
        self.signals.stop()
    }

    /// Whether a confirmation question can be asked.
    pub fn can_ask(&self) -> bool {
        self.terminal
    }
}

impl<C: Connect> Context<C> {
    /// The pool `pool_id`, checked before any write.
    pub async fn open(
        &self,
        pool_id: &str,
        call_timeout: Duration,
    ) -> Result<Opened<C::Pool>, Failure> {
        self.connect.open(pool_id, call_timeout).await
    }

    /// The pool and its description (see [`Opened::described`]).
    pub async fn open_described(
        &self,
        pool_id: &str,
        call_timeout: Duration,
        who: &str,
    ) -> Result<(C::Pool, UserPoolType), Failure> {
        let opened = self.open(pool_id, call_timeout).await?;
        let described = opened.described(pool_id, who)?.clone();
        Ok((opened.pool, described))
    }
}
