//! Sharing an amount exactly: among weights by largest remainder, and a
//! recorded cost among its token classes. The FOCUS export, reconcile and
//! true-up all share by these, so their parts always add up to the whole,
//! to the nano-dollar.

use crate::ingest::usage::Usage;
use crate::invoice::bill::TokenClass;
use crate::pricing::catalog::Rates;
use crate::pricing::money::Nanos;
use rust_decimal::Decimal;

/// Shares `total` among weights in proportion, exactly (largest remainder);
/// all of it to the first when every weight is zero.
pub fn apportion(total: i64, weights: &[Decimal]) -> Vec<i64> {
    let sum: Decimal = weights.iter().sum();
    if weights.is_empty() {
        return Vec::new();
    }
    if sum.is_zero() {
        let mut out = vec![0; weights.len()];
        out[0] = total;
        return out;
    }
    // total × w / sum, exactly while it fits; past Decimal's range (a gap of
    // $300k shared by spend of $300k, in nano-dollars) the fraction first.
    let exact: Vec<Decimal> = weights
        .iter()
        .map(|w| {
            Decimal::from(total).checked_mul(*w).map(|p| p / sum).unwrap_or_else(|| Decimal::from(total) * (*w / sum))
        })
        .collect();
    let mut out: Vec<i64> = exact.iter().map(|e| i64::try_from(e.floor()).unwrap_or(0)).collect();
    let mut left = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for i in order.into_iter().cycle() {
        if left <= 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    out
}

/// One token class's part of a recorded cost: its tokens, their list cost
/// (tokens × the class's rate per 1M tokens; zero without rates), and its
/// share of the cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassShare {
    pub class: TokenClass,
    pub tokens: i64,
    pub list: Decimal,
    pub share: Nanos,
}

/// Shares `cost` among the token classes with tokens (uncached input, cache
/// reads, cache writes, output) in proportion to their list cost, or to
/// their tokens when there is no list price, exactly (largest remainder).
/// This one rule splits the FOCUS export's rows and reconcile's classes.
/// Empty when no class has tokens.
pub fn class_shares(usage: &Usage, rates: Option<&Rates>, cost: Nanos) -> Vec<ClassShare> {
    let counts = [
        (TokenClass::Input, usage.uncached_input()),
        (TokenClass::CacheRead, usage.cache_read_tokens),
        (TokenClass::CacheWrite, usage.cache_write_tokens),
        (TokenClass::Output, usage.output_tokens),
    ];
    let million = Decimal::from(1_000_000);
    let mut out: Vec<ClassShare> = counts
        .into_iter()
        .filter(|(_, t)| *t > 0)
        .map(|(class, tokens)| {
            let list = rates.map(|r| Decimal::from(tokens) * class.rate(r) / million).unwrap_or_default();
            ClassShare { class, tokens, list, share: Nanos::ZERO }
        })
        .collect();
    let weights: Vec<Decimal> = if out.iter().any(|c| !c.list.is_zero()) {
        out.iter().map(|c| c.list).collect()
    } else {
        out.iter().map(|c| Decimal::from(c.tokens)).collect()
    };
    for (c, share) in out.iter_mut().zip(apportion(cost.0, &weights)) {
        c.share = Nanos(share);
    }
    out
}
