//! Budgets: a spend limit over a scope of calls, per period, optionally
//! split so that every user (or task, or any tag value) gets its own limit.
//!
//! A budget arrives as a [`Draft`] (from JSON or from the form), is checked
//! by [`validate`] into a [`BudgetSpec`], and is then matched against events
//! with [`BudgetSpec::applies`] and [`BudgetSpec::split_value`].

use crate::attribution::tags::{TagKey, TagSet};
use crate::pricing::money::Nanos;
use serde::{Deserialize, Serialize};

/// Longest budget name.
pub const MAX_NAME_LEN: usize = 120;
/// Most thresholds a budget may have.
pub const MAX_THRESHOLDS: usize = 10;
/// Highest threshold, in percent.
pub const MAX_THRESHOLD: u32 = 1000;
/// Largest budget amount: a billion dollars.
pub const MAX_AMOUNT_USD: i64 = 1_000_000_000;

/// How often a budget resets. Calendar periods, in the budget's time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetPeriod {
    Day,
    Week,
    Month,
    Quarter,
    /// Never resets.
    Total,
}

impl BudgetPeriod {
    /// Every period, in form order.
    pub const ALL: [BudgetPeriod; 5] =
        [BudgetPeriod::Day, BudgetPeriod::Week, BudgetPeriod::Month, BudgetPeriod::Quarter, BudgetPeriod::Total];

    /// Parses `day|week|month|quarter|total`.
    pub fn parse(s: &str) -> Result<BudgetPeriod, String> {
        BudgetPeriod::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| format!("must be one of day, week, month, quarter, total (got {s:?})"))
    }

    /// The period's name.
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetPeriod::Day => "day",
            BudgetPeriod::Week => "week",
            BudgetPeriod::Month => "month",
            BudgetPeriod::Quarter => "quarter",
            BudgetPeriod::Total => "total",
        }
    }

    /// "per day", "in total", … for sentences.
    pub fn per(self) -> &'static str {
        match self {
            BudgetPeriod::Day => "per day",
            BudgetPeriod::Week => "per week",
            BudgetPeriod::Month => "per month",
            BudgetPeriod::Quarter => "per quarter",
            BudgetPeriod::Total => "in total",
        }
    }
}

/// What a split budget gives each its own limit: every value of a tag, or every task.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SplitBy {
    Tag(TagKey),
    Task,
}

impl SplitBy {
    /// `task`, or a tag key.
    pub fn parse(s: &str) -> Result<SplitBy, String> {
        match s.trim() {
            "task" | "task_id" => Ok(SplitBy::Task),
            other => TagKey::parse(other).map(SplitBy::Tag).map_err(|e| format!("{other:?} is not a tag key: {e}")),
        }
    }

    /// The name as written in budgets.
    pub fn as_str(&self) -> &str {
        match self {
            SplitBy::Tag(k) => k.as_str(),
            SplitBy::Task => "task",
        }
    }
}

impl TryFrom<String> for SplitBy {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        SplitBy::parse(&s)
    }
}

impl From<SplitBy> for String {
    fn from(s: SplitBy) -> String {
        s.as_str().to_string()
    }
}

/// A checked budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetSpec {
    pub name: String,
    /// Tag filters every counted call must match (all of them); empty counts every call.
    pub scope: TagSet,
    pub split_by: Option<SplitBy>,
    pub period: BudgetPeriod,
    #[serde(with = "crate::pricing::money::usd_str")]
    pub amount: Nanos,
    /// Percentages of the amount, ascending.
    pub thresholds: Vec<u32>,
    pub hard_cap: bool,
    /// Where alerts go; `None` uses the server's global webhook, if any.
    pub webhook: Option<String>,
    pub owner: String,
    pub description: String,
    /// IANA zone the periods are computed in, e.g. `Europe/London`.
    pub time_zone: String,
}

impl BudgetSpec {
    /// Whether `other` counts the same calls into the same counters: the
    /// same scope, split, period and time zone (name, amount, thresholds,
    /// cap and webhook do not change what is counted).
    pub fn counts_like(&self, other: &BudgetSpec) -> bool {
        (&self.scope, &self.split_by, self.period, &self.time_zone)
            == (&other.scope, &other.split_by, other.period, &other.time_zone)
    }

    /// Whether a call with these tags counts towards this budget.
    pub fn applies(&self, tags: &TagSet) -> bool {
        self.scope.0.iter().all(|(k, v)| tags.get(k.as_str()) == Some(v.as_str()))
    }

    /// Which of a split budget's limits a call counts towards: `Some("")` for
    /// an unsplit budget, `None` when the call lacks the split tag or task.
    pub fn split_value(&self, tags: &TagSet, task_id: Option<&str>) -> Option<String> {
        match &self.split_by {
            None => Some(String::new()),
            Some(SplitBy::Task) => task_id.map(str::to_string),
            Some(SplitBy::Tag(k)) => tags.get(k.as_str()).map(str::to_string),
        }
    }

    /// The budget as the audit log keeps it: the webhook by host only, since
    /// the log is never edited and a rotated secret must not live on in it.
    pub fn for_audit(&self) -> Option<serde_json::Value> {
        let mut v = serde_json::to_value(self).ok()?;
        if let Some(url) = self.webhook.as_deref() {
            v["webhook"] = serde_json::Value::String(super::webhook_target::redact_webhook(url));
        }
        Some(v)
    }

    /// The scope as `key=value, key=value`.
    pub fn scope_text(&self) -> String {
        self.scope.0.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
    }

    /// The teams the scope names (one at most, as a scope names each key once).
    pub fn scope_team(&self) -> Option<&str> {
        self.scope.get("team")
    }

    /// One line saying what the budget is, e.g. "$20.00 per day for each user".
    pub fn summary(&self) -> String {
        let each = match &self.split_by {
            Some(s) => format!(" for each {}", s.as_str()),
            None => String::new(),
        };
        format!("{} {}{each}", crate::pricing::money::usd_display(self.amount), self.period.per())
    }
}

#[cfg(test)]
mod tests;
