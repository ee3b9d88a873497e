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
/// Both streams are registered here, before the watching task is spawned: a signal that
/// arrives after [`Signals::stop`] returns, even before the task first runs, is caught (not
/// the default action, which would end the process with nothing said).
fn watch(stop: CancellationToken, abort: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).ok();
    let mut term = signal(SignalKind::terminate()).ok();
    tokio::spawn(async move {
        for n in 0.. {
            tokio::select! {
                _ = next(&mut interrupt) => {}
                _ = next(&mut term) => {}
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

/// The next signal of a stream (never, if it could not be registered).
async fn next(stream: &mut Option<tokio::signal::unix::Signal>) {
    match stream.as_mut() {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
