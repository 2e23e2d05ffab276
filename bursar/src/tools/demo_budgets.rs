//! The demo organisation's budgets. They are created a month before "today"
//! in the demo's timeline, sized from the spend before them, so that the
//! last month's traffic crosses thresholds, reaches caps and leaves a real
//! alert history, all through the ordinary ingest path.

use budgets::Actor;
use chrono::{DateTime, Datelike, Duration, Utc};
use domain::budgets::draft::Draft;
use domain::{Dimension, Filter, Granularity, Nanos, SpendQuery, TagKey};
use server::AppState;

fn filter(key: &str, value: &str) -> anyhow::Result<Filter> {
    let key = TagKey::parse(key).map_err(anyhow::Error::msg)?;
    Ok(Filter { dimension: Dimension::Tag(key), values: vec![Some(value.to_string())] })
}

/// Rounds dollars up to a figure a person would set: two significant digits, at least $1.
fn nice(n: Nanos) -> String {
    let usd = (n.0 as f64 / 1e9).max(1.0);
    let unit = 10f64.powf(usd.log10().floor() - 1.0).max(1.0);
    format!("{:.0}", (usd / unit).ceil() * unit)
}

fn draft(name: &str, scope: &[(&str, &str)], split: &str, period: &str, amount: String, cap: bool) -> Draft {
    Draft {
        name: name.into(),
        scope: scope.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        split_by: split.into(),
        period: period.into(),
        amount,
        thresholds: if cap { "50, 80".into() } else { "50, 80, 100".into() },
        hard_cap: cap,
        ..Draft::default()
    }
}

/// Creates the demo budgets (counted from `now`), sized from the 30 days of
/// traffic before `data_until`.
pub async fn create(state: &AppState, now: DateTime<Utc>, data_until: DateTime<Utc>) -> anyhow::Result<usize> {
    let store = &state.store;
    let since = data_until - Duration::days(30);
    let spend = |filters: Vec<Filter>| {
        let q = SpendQuery { filters, ..SpendQuery::new(since, data_until) };
        async move { store.spend(&q).await }
    };
    // Platform's agent traffic roughly doubles over the demo's last two months:
    // a budget set at about twice the month before's run rate ends this month
    // past 80%, with alerts but no breach.
    let platform = spend(vec![filter("team", "platform")?]).await?.total.cost;
    let company = spend(vec![]).await?.total.cost;
    let data = spend(vec![filter("team", "data")?]).await?.total.cost;
    // Each support-bot user's daily spend: the cap sits at about the 98th percentile of user-days.
    let q = SpendQuery {
        group_by: vec![Dimension::parse("user").map_err(anyhow::Error::msg)?],
        granularity: Some(Granularity::Day),
        filters: vec![filter("product", "support-bot")?],
        ..SpendQuery::new(data_until - Duration::days(14), data_until)
    };
    let mut user_days: Vec<i64> = store
        .spend(&q)
        .await?
        .groups
        .iter()
        .flat_map(|g| g.series.iter().flatten().map(|p| p.totals.cost.0))
        .filter(|c| *c > 0)
        .collect();
    user_days.sort_unstable();
    let p98 = user_days.get(user_days.len() * 98 / 100).copied().unwrap_or(1_000_000_000);

    let first = now.date_naive().with_day(1).unwrap_or(now.date_naive());
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    let month_days = (next - first).num_days().max(1);
    let budgets = [
        draft(
            "Platform, monthly",
            &[("team", "platform")],
            "",
            "month",
            nice(Nanos(platform.0 / 30 * month_days * 22 / 10)),
            false,
        ),
        draft("Support bot, each user per day", &[("product", "support-bot")], "user", "day", nice(Nanos(p98)), true),
        draft("Bug triage, each task", &[("workflow", "bug-triage")], "task", "total", "50".into(), true),
        draft("Data, weekly", &[("team", "data")], "", "week", nice(Nanos(data.0 / 30 * 7)), false),
        draft("All LLM spend, quarterly", &[], "", "quarter", nice(Nanos(company.0 * 3)), false),
    ];
    let actor = Actor::Key { name: "demo".into() };
    let mut n = 0;
    for mut d in budgets {
        d.owner = if d.scope.iter().any(|(_, v)| v == "platform" || v == "data") {
            "lead@demo.bursar.dev".into()
        } else {
            "admin@demo.bursar.dev".into()
        };
        d.description = "Created with the demo organisation.".into();
        state
            .budgets
            .save(&actor, None, &d, now)
            .await
            .map_err(|e| anyhow::anyhow!("demo budget {:?}: {e}", d.name))?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_round_figures() {
        assert_eq!(nice(Nanos(3_420_000_000_000)), "3500");
        assert_eq!(nice(Nanos(1_900_000_000)), "2");
        assert_eq!(nice(Nanos(12_100_000_000)), "13");
        assert_eq!(nice(Nanos(0)), "1");
    }
}
