//! Exponential backoff with "equal" jitter (a random delay between half and all of the step), so
//! that workers throttled together do not retry together, yet none retries at once.

use std::time::Duration;

use rand::Rng;

/// Delay before retry number `attempt` (1 for the first retry): a random time between half and all of
/// `base * 2^(attempt-1)`, capped at `cap`.
pub fn delay(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
    let ceiling = exp.min(cap);
    let ms = ceiling.as_millis().max(1) as u64;
    Duration::from_millis(rand::rng().random_range(ms / 2..=ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_stays_under_the_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(5);
        for _ in 0..100 {
            assert!(delay(1, base, cap) <= base);
            assert!(delay(3, base, cap) <= Duration::from_millis(400));
            assert!(delay(30, base, cap) <= cap);
            assert!(delay(30, base, cap) >= cap / 2);
        }
    }
}
