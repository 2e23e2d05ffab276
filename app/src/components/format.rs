//! Formatting for people: dollars with thousands separators, compact token
//! counts, percentages. Pure functions, shared by the server and the browser.

use domain::Nanos;
use rust_decimal::Decimal;

/// `$12,345.67`; amounts under a dollar keep four places (`$0.0042`).
pub fn usd(n: Nanos) -> String {
    domain::pricing::money::usd_display(n)
}

/// `950`, `12.3K`, `4.5M`, `1.2B`.
pub fn count(n: i64) -> String {
    let f = n as f64;
    match n.abs() {
        0..=999 => n.to_string(),
        1_000..=999_999 => format!("{:.1}K", f / 1e3),
        1_000_000..=999_999_999 => format!("{:.1}M", f / 1e6),
        _ => format!("{:.1}B", f / 1e9),
    }
}

/// A share given as a decimal fraction string ("0.4213") as `42.1%`.
pub fn share(fraction: &str) -> String {
    let f: f64 = fraction.parse().unwrap_or(0.0);
    format!("{:.1}%", f * 100.0)
}

/// The change from `before` to `now` as `+12.5%` / `-3.0%`, or `new` when
/// there was nothing before.
pub fn change(now: Nanos, before: Nanos) -> String {
    if before.0 == 0 {
        return if now.0 == 0 { "±0%".into() } else { "new".into() };
    }
    let pct = (Decimal::from(now.0) - Decimal::from(before.0)) / Decimal::from(before.0) * Decimal::from(100);
    let pct = pct.round_dp(1);
    if pct.is_sign_positive() && !pct.is_zero() {
        format!("+{pct:.1}%")
    } else {
        format!("{pct:.1}%")
    }
}

/// The text for a group value: the value, or "untagged".
pub fn label(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "untagged".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollars_are_grouped_and_rounded() {
        assert_eq!(usd(Nanos(12_345_678_900_000)), "$12,345.68");
        assert_eq!(usd(Nanos(4_200_000)), "$0.0042");
        assert_eq!(usd(Nanos(0)), "$0.00");
        assert_eq!(usd(Nanos(1_000_000_000_000)), "$1,000.00");
        assert_eq!(usd(Nanos(-2_500_000_000)), "-$2.50");
    }

    #[test]
    fn counts_and_changes_read_well() {
        assert_eq!(count(950), "950");
        assert_eq!(count(12_340), "12.3K");
        assert_eq!(count(4_500_000), "4.5M");
        assert_eq!(share("0.4213"), "42.1%");
        assert_eq!(change(Nanos(150), Nanos(100)), "+50.0%");
        assert_eq!(change(Nanos(50), Nanos(100)), "-50.0%");
        assert_eq!(change(Nanos(5), Nanos(0)), "new");
    }
}
