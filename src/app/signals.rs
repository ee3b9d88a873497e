//! Ctrl-C and SIGTERM. The first asks the command to stop (its stop token: dispatching ends,
//! calls in flight finish and are recorded); the second asks `main` to exit at once (the abort
//! token, which `main` selects on: the command layer never exits the process itself).

use std::sync::Once;

use tokio_util::sync::CancellationToken;

/// The process's stop and abort tokens. Signals are watched from the first [`Signals::stop`]
/// on: until a command asks for its stop token, an interrupt ends the process as usual
/// (nothing has been written yet). One watcher for the whole process: a command of several
/// phases (a backfill computes, asks, then sends) shares it, so an interrupt is announced once
/// and none falls between two phases.
pub struct Signals {
    stop: CancellationToken,
    abort: CancellationToken,
    /// Whether to watch the process's signals (not in the in-process tests).
    os: bool,
    started: Once,
}

impl Signals {
    /// Tokens driven by the process's Ctrl-C and SIGTERM.
    pub fn from_os() -> Signals {
        Signals {
            os: true,
            ..Signals::manual()
        }
    }

    /// Tokens only their holder cancels (in-process runs).
    pub fn manual() -> Signals {
        Signals {
            stop: CancellationToken::new(),
            abort: CancellationToken::new(),
            os: false,
            started: Once::new(),
        }
    }

    /// The command's stop token; signals are watched from the first call on.
    pub fn stop(&self) -> CancellationToken {
        if self.os {
            self.started
                .call_once(|| watch(self.stop.clone(), self.abort.clone()));
        }
        self.stop.clone()
    }

    /// Cancelled by the second interrupt: `main` then exits with 3 without waiting.
    pub fn abort(&self) -> CancellationToken {
        self.abort.clone()
    }
}

/// First Ctrl-C or SIGTERM: stop dispatching, let calls in flight finish. Second: abort.
fn watch(stop: CancellationToken, abort: CancellationToken) {
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        for n in 0.. {
            let term_recv = async {
                match term.as_mut() {
                    Some(t) => {
                        t.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term_recv => {}
            }
            if n == 0 {
                tracing::warn!(
                    "interrupted: finishing calls in flight (interrupt again to exit now)"
                );
                stop.cancel();
            } else {
                abort.cancel();
                return;
            }
        }
    });
}
