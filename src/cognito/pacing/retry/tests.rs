//! The retry loop's unit tests, apart from the loop they test: scripted answers (throttles,
//! passing faults, lost answers, interrupts) and what the loop made of them.

use super::*;

fn quick(max_throttles: Option<u32>) -> RetryPolicy {
    RetryPolicy {
        max_transient_retries: 2,
        max_throttles,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
        max_throttle_delay: Duration::from_millis(2),
    }
}

fn throttled() -> CallError {
    CallError::new(
        ErrorKind::Throttled,
        "TooManyRequestsException",
        "slow down",
    )
}

/// A read answering `throttles` throttles, then `42`; counts its calls.
async fn read_after(throttles: u32, calls: &AtomicU32) -> Result<u32, CallError> {
    match calls.fetch_add(1, Ordering::SeqCst) < throttles {
        true => Err(throttled()),
        false => Ok(42),
    }
}

#[tokio::test]
async fn a_read_is_retried_through_throttles_until_it_succeeds() {
    // More throttles than reads were once retried (100): throttling never fails a read.
    let (rate, stop, calls) = (
        RateControl::new(f64::INFINITY),
        CancellationToken::new(),
        AtomicU32::new(0),
    );
    let read = retrying(&rate, &quick(None), &stop, || read_after(150, &calls)).await;
    assert_eq!(read.unwrap(), 42);
    assert_eq!(calls.load(Ordering::SeqCst), 151);
}

#[tokio::test]
async fn a_policy_may_bound_the_throttles() {
    let (rate, stop, calls) = (
        RateControl::new(f64::INFINITY),
        CancellationToken::new(),
        AtomicU32::new(0),
    );
    let read = retrying(&rate, &quick(Some(3)), &stop, || read_after(10, &calls)).await;
    assert_eq!(read.unwrap_err().kind, ErrorKind::Throttled);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        4,
        "the first try and 3 retries"
    );
}

#[tokio::test]
async fn ctrl_c_while_waiting_between_attempts_ends_the_wait_promptly() {
    // After a throttle the read waits 30 to 60 s; an interrupt 50 ms in must end it.
    let policy = RetryPolicy {
        base_delay: Duration::from_secs(60),
        max_throttle_delay: Duration::from_secs(60),
        ..RetryPolicy::default()
    };
    let (rate, stop, calls) = (
        RateControl::new(f64::INFINITY),
        CancellationToken::new(),
        AtomicU32::new(0),
    );
    let cancel = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        cancel.cancel();
    });
    let read = retrying(&rate, &policy, &stop, || read_after(u32::MAX, &calls));
    let read = tokio::time::timeout(Duration::from_secs(20), read).await;
    let err = read.expect("the wait ended at the interrupt").unwrap_err();
    assert_eq!(err.code, crate::cognito::codes::INTERRUPTED);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "no attempt after the interrupt"
    );
}

#[tokio::test]
async fn ctrl_c_while_waiting_for_a_turn_ends_the_wait() {
    // The slowest pacer there is: the second attempt's turn is 2 s after the first.
    let (rate, stop, calls) = (
        RateControl::new(0.0),
        CancellationToken::new(),
        AtomicU32::new(0),
    );
    let cancel = stop.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        cancel.cancel();
    });
    let policy = quick(None);
    let read = retrying(&rate, &policy, &stop, || read_after(u32::MAX, &calls));
    let read = tokio::time::timeout(Duration::from_millis(1500), read).await;
    let err = read.expect("the wait ended at the interrupt").unwrap_err();
    assert_eq!(err.code, crate::cognito::codes::INTERRUPTED);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "no attempt after the interrupt"
    );
}

#[tokio::test]
async fn an_update_counts_its_attempts_and_throttles() {
    let pacing = Pacing::new(f64::INFINITY, quick(None));
    let (stop, calls) = (CancellationToken::new(), AtomicU32::new(0));
    let paced = Paced {
        rate: &pacing.rate,
        meter: Some(&pacing.meter),
        policy: &pacing.policy,
    };
    let tried = paced.call(&stop, false, || read_after(3, &calls)).await;
    assert_eq!(tried.result.unwrap().unwrap(), 42);
    assert_eq!((tried.attempts, tried.throttled), (4, 3));
}
