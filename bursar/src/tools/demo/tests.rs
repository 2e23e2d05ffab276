//! Unit tests of `demo`.

use super::*;

#[test]
fn days_are_reproducible_and_valid() {
    let date = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
    let a = day_events(&WORKFLOWS[0], 0, date, 10, 90, 42, 1.0);
    let b = day_events(&WORKFLOWS[0], 0, date, 10, 90, 42, 1.0);
    assert_eq!(a, b);
    assert!(!a.is_empty());
    for v in a.iter().chain(runaway(date).iter()) {
        domain::ingest::event::parse_event(v).unwrap();
    }
}
