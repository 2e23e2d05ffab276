//! The hard cap's rule: when a cap refuses a call, and how far concurrent
//! callers can pass it.
//!
//! A cap's load is its committed spend plus the live reservations held
//! against it. A check refuses once the load has reached the limit, or when
//! the call's estimated cost would take the load past it. A reservation is
//! taken under the counter's row lock (Postgres) or the one writer (SQLite),
//! so callers that reserve are ordered: together they pass the cap by at
//! most the amount their real costs exceed their estimates.

use crate::Nanos;

/// Whether a cap with `limit` refuses a call of `estimate` when `load`
/// (spend plus live reservations) is already counted. Reaching the limit
/// exactly is allowed.
pub fn refuses(limit: Nanos, load: Nanos, estimate: Nanos) -> bool {
    load.0 >= limit.0 || (estimate.0 > 0 && load.0.saturating_add(estimate.0) > limit.0)
}

/// How long a reservation is held when the caller does not settle it, by
/// default (`BURSAR_RESERVATION_TTL_SECS`).
pub const DEFAULT_RESERVATION_TTL_SECS: u64 = 600;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_refuses_at_its_limit_or_when_the_estimate_would_pass_it() {
        assert!(!refuses(Nanos(100), Nanos(99), Nanos(0)));
        assert!(refuses(Nanos(100), Nanos(100), Nanos(0)));
        assert!(!refuses(Nanos(100), Nanos(90), Nanos(10)), "exactly reaching the cap is allowed");
        assert!(refuses(Nanos(100), Nanos(90), Nanos(11)));
    }
}
