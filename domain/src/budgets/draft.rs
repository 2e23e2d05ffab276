//! A budget as a caller writes it (JSON or the form), and its validation
//! into a [`BudgetSpec`], naming every wrong field; the parsers of amounts,
//! thresholds and scopes; and webhook URLs as readers may see them.

use super::budget::{BudgetPeriod, BudgetSpec, SplitBy, MAX_AMOUNT_USD, MAX_NAME_LEN, MAX_THRESHOLD, MAX_THRESHOLDS};
use super::webhook_target::check_webhook;
use crate::attribution::tags::{check_value, TagKey, TagSet};
use crate::ingest::event::FieldError;
use crate::pricing::money::{usd_string, Nanos};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::str::FromStr;

/// A budget as a caller wrote it, before checking. Text fields keep what was
/// typed so that the form can show it back with the errors beside it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub name: String,
    /// `key=value` pairs.
    pub scope: Vec<(String, String)>,
    pub split_by: String,
    pub period: String,
    pub amount: String,
    pub thresholds: String,
    pub hard_cap: bool,
    pub webhook: String,
    pub owner: String,
    pub description: String,
    pub time_zone: String,
}

impl Draft {
    /// Reads a JSON budget (`amount` a string or number, `thresholds` an
    /// array of integers, `scope` an object of tag values). Wrong JSON types
    /// are reported by field.
    pub fn from_json(v: &Value) -> Result<Draft, FieldError> {
        let err = |f: &str, r: &str| FieldError { field: f.into(), reason: r.into() };
        let obj = v.as_object().ok_or_else(|| err("body", "must be a JSON object"))?;
        let known = [
            "name",
            "scope",
            "split_by",
            "period",
            "amount",
            "thresholds",
            "hard_cap",
            "webhook",
            "owner",
            "description",
            "time_zone",
            "id",
        ];
        if let Some(extra) = obj.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(err(extra, "is not a budget field"));
        }
        let text = |f: &str| -> Result<String, FieldError> {
            match obj.get(f) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(err(f, "must be a string")),
            }
        };
        let scope = match obj.get("scope") {
            None | Some(Value::Null) => vec![],
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    _ => Err(err(&format!("scope.{k}"), "must be a string")),
                })
                .collect::<Result<_, _>>()?,
            Some(Value::String(s)) => parse_scope_text(s)?,
            Some(_) => return Err(err("scope", "must be an object of tag values, e.g. {\"team\": \"platform\"}")),
        };
        let amount = match obj.get("amount") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => return Err(err("amount", "must be a decimal string such as \"5000\" or a number")),
        };
        let thresholds = match obj.get("thresholds") {
            None | Some(Value::Null) => String::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|t| match t {
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(err("thresholds", "must be an array of whole percentages, e.g. [50, 80, 100]")),
                })
                .collect::<Result<Vec<_>, _>>()?
                .join(", "),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(err("thresholds", "must be an array of whole percentages, e.g. [50, 80, 100]")),
        };
        let hard_cap = match obj.get("hard_cap") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(err("hard_cap", "must be true or false")),
        };
        Ok(Draft {
            name: text("name")?,
            scope,
            split_by: text("split_by")?,
            period: text("period")?,
            amount,
            thresholds,
            hard_cap,
            webhook: text("webhook")?,
            owner: text("owner")?,
            description: text("description")?,
            time_zone: text("time_zone")?,
        })
    }

    /// The draft of an existing budget, for editing.
    pub fn of(spec: &BudgetSpec) -> Draft {
        Draft {
            name: spec.name.clone(),
            scope: spec.scope.0.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            split_by: spec.split_by.as_ref().map(|s| s.as_str().to_string()).unwrap_or_default(),
            period: spec.period.as_str().into(),
            amount: usd_string(spec.amount),
            thresholds: spec.thresholds.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "),
            hard_cap: spec.hard_cap,
            webhook: spec.webhook.clone().unwrap_or_default(),
            owner: spec.owner.clone(),
            description: spec.description.clone(),
            time_zone: spec.time_zone.clone(),
        }
    }

    /// The scope as the form shows it.
    pub fn scope_text(&self) -> String {
        self.scope.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
    }
}

/// Parses `team=platform, product=support-bot`.
pub fn parse_scope_text(s: &str) -> Result<Vec<(String, String)>, FieldError> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=').map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).ok_or_else(|| FieldError {
                field: "scope".into(),
                reason: format!("must be key=value pairs separated by commas (got {p:?})"),
            })
        })
        .collect()
}

/// What [`validate`] checks against.
pub struct Context<'a> {
    /// Tag keys that exist (seen on calls, or conventional).
    pub known_keys: &'a [String],
    /// The zone new budgets get when they name none.
    pub default_zone: &'a str,
    /// Checks a zone name (the server knows the IANA database; the domain does not need to).
    pub zone_ok: &'a dyn Fn(&str) -> bool,
}

/// Checks a draft; every field's error at once, so a form can show them all.
pub fn validate(d: &Draft, ctx: &Context) -> Result<BudgetSpec, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut bad = |f: &str, r: String| errors.push(FieldError { field: f.into(), reason: r });
    let name = d.name.trim().to_string();
    if name.is_empty() {
        bad("name", "must not be empty".into());
    } else if name.chars().count() > MAX_NAME_LEN {
        bad("name", format!("must be at most {MAX_NAME_LEN} characters"));
    }
    let mut scope = TagSet::new();
    for (k, v) in &d.scope {
        match TagKey::parse(k) {
            Err(e) => bad("scope", format!("{k:?} is not a tag key: {e}")),
            Ok(key) if !ctx.known_keys.iter().any(|known| known == k) => bad(
                "scope",
                format!("no call has been tagged with {:?}; known keys: {}", key.as_str(), ctx.known_keys.join(", ")),
            ),
            Ok(key) if scope.get(key.as_str()).is_some() => bad("scope", format!("{:?} is named twice", key.as_str())),
            Ok(key) => match check_value(v) {
                Err(e) => bad("scope", format!("the value of {:?} {e}", key.as_str())),
                Ok(()) => scope.insert(key, v.trim()),
            },
        }
    }
    let split_by = match d.split_by.trim() {
        "" | "none" => None,
        s => match SplitBy::parse(s) {
            Err(e) => {
                bad("split_by", e);
                None
            }
            Ok(SplitBy::Tag(k)) if !ctx.known_keys.iter().any(|known| known == k.as_str()) => {
                bad("split_by", format!("no call has been tagged with {:?}; use task or a known tag key", k.as_str()));
                None
            }
            Ok(s) => Some(s),
        },
    };
    if let (Some(SplitBy::Tag(k)), true) = (&split_by, !scope.0.is_empty()) {
        if scope.get(k.as_str()).is_some() {
            bad("split_by", format!("the scope already fixes {:?} to one value", k.as_str()));
        }
    }
    let period = BudgetPeriod::parse(&d.period).map_err(|e| bad("period", e)).ok();
    let amount = parse_amount(&d.amount).map_err(|e| bad("amount", e)).ok();
    let thresholds = parse_thresholds(&d.thresholds).map_err(|e| bad("thresholds", e)).ok();
    let webhook = match d.webhook.trim() {
        "" => None,
        url => match check_webhook(url) {
            Ok(()) => Some(url.to_string()),
            Err(e) => {
                bad("webhook", e);
                None
            }
        },
    };
    let owner = d.owner.trim().to_string();
    if owner.chars().count() > 254 {
        bad("owner", "must be at most 254 characters".into());
    }
    let description = d.description.trim().to_string();
    if description.chars().count() > 2000 {
        bad("description", "must be at most 2000 characters".into());
    }
    let time_zone = match d.time_zone.trim() {
        "" => ctx.default_zone.to_string(),
        z if (ctx.zone_ok)(z) => z.to_string(),
        z => {
            bad("time_zone", format!("{z:?} is not an IANA time zone such as Europe/London or UTC"));
            String::new()
        }
    };
    match (period, amount, thresholds, errors.is_empty()) {
        (Some(period), Some(amount), Some(thresholds), true) => Ok(BudgetSpec {
            name,
            scope,
            split_by,
            period,
            amount,
            thresholds,
            hard_cap: d.hard_cap,
            webhook,
            owner,
            description,
            time_zone,
        }),
        _ => Err(errors),
    }
}

/// Parses a budget amount in dollars (`5000`, `$5,000`, `20.50`): more than
/// zero, at most a billion.
pub fn parse_amount(s: &str) -> Result<Nanos, String> {
    let text = s.trim().trim_start_matches('$').replace(',', "");
    let a =
        Decimal::from_str(&text).map_err(|_| format!("must be a number of dollars, e.g. 5000 or 20.50 (got {s:?})"))?;
    if a <= Decimal::ZERO {
        return Err("must be more than zero".into());
    }
    if a > Decimal::from(MAX_AMOUNT_USD) {
        return Err(format!("must be at most {MAX_AMOUNT_USD} dollars"));
    }
    match Nanos::from_usd(a) {
        Ok(n) if n.0 > 0 => Ok(n),
        _ => Err("must be at least one nano-dollar".into()),
    }
}

/// Parses `50, 80, 100`: whole percentages 1-1000, strictly ascending.
pub fn parse_thresholds(s: &str) -> Result<Vec<u32>, String> {
    let mut out: Vec<u32> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let t: u32 = part
            .trim_end_matches('%')
            .parse()
            .map_err(|_| format!("must be whole percentages separated by commas (got {part:?})"))?;
        if !(1..=MAX_THRESHOLD).contains(&t) {
            return Err(format!("each must be between 1 and {MAX_THRESHOLD} (got {t})"));
        }
        if let Some(&last) = out.last() {
            if t <= last {
                return Err(format!("must be in ascending order without repeats ({t} follows {last})"));
            }
        }
        out.push(t);
    }
    if out.len() > MAX_THRESHOLDS {
        return Err(format!("at most {MAX_THRESHOLDS} thresholds"));
    }
    Ok(out)
}
