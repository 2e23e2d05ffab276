//! FOCUS 1.2 export: `GET /api/v1/export/focus.csv?from=&to=` (scope `read`)
//! and `GET /focus.csv?from=&to=` for a signed-in person (the Explore
//! button). Dates are UTC days, both included; `basis=invoice` adds the
//! true-up rows (`ChargeCategory` `Adjustment`, see `domain::invoice::true_up`). The file is streamed a day at
//! a time, so a year of data never sits in memory; see `domain::attribution::focus` for
//! the columns and how costs are split.

use super::error::ApiError;
use super::params::invalid;
use crate::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use domain::attribution::focus::Account;
use domain::invoice::true_up::{Basis, DayGap};
use std::collections::HashMap;
use tower_sessions::Session;

/// The longest range one file covers.
pub const MAX_DAYS: i64 = 400;

/// Reads `from` and `to` (`YYYY-MM-DD`, both included).
pub fn range(params: &HashMap<String, String>) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let day = |name: &str| -> Result<NaiveDate, ApiError> {
        let v = params
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid(name, "required: a date, YYYY-MM-DD"))?;
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| invalid(name, format!("must be a date, YYYY-MM-DD (got {v:?})")))
    };
    let (from, to) = (day("from")?, day("to")?);
    if to < from {
        return Err(invalid("to", "must not be before from"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(invalid("to", format!("a file covers at most {MAX_DAYS} days")));
    }
    Ok((from, to))
}

/// The true-up rows of one day: each gap shared among the day's tag sets by
/// their recorded spend at its provider, by the one allocation rule
/// (`domain::invoice::true_up::rows`), or as uninstrumented.
fn true_up_lines(
    day: NaiveDate,
    gaps: &[DayGap],
    rows: &[(i64, domain::attribution::focus::DaySum)],
    tagsets: &HashMap<i64, domain::TagSet>,
    account: &Account,
) -> String {
    use domain::invoice::true_up::{rows as true_up_rows, GroupDay, UNINSTRUMENTED};
    let gaps: Vec<DayGap> = gaps.iter().filter(|g| g.day == day).cloned().collect();
    if gaps.is_empty() {
        return String::new();
    }
    // The day's spend by provider and tag set, as the allocation's groups.
    let mut spend: std::collections::BTreeMap<(String, i64), i64> = std::collections::BTreeMap::new();
    for (tagset, sum) in rows {
        *spend.entry((sum.provider.clone(), *tagset)).or_default() += sum.cost.0;
    }
    let groups: Vec<GroupDay> = spend
        .into_iter()
        .map(|((provider, tagset), cost)| GroupDay {
            values: vec![Some(provider.clone()), Some(tagset.to_string())],
            provider,
            day,
            cost: domain::Nanos(cost),
        })
        .collect();
    let dims = ["provider".to_string(), "tagset".to_string()];
    let empty = domain::TagSet::new();
    let mut out = String::new();
    for r in true_up_rows(&dims, &gaps, &groups, &|_| true, &|_| true) {
        let (provider, set) = (r.key[0].clone().unwrap_or_default(), r.key[1].clone().unwrap_or_default());
        let allocated = set != UNINSTRUMENTED;
        let tags = set.parse::<i64>().ok().and_then(|id| tagsets.get(&id)).unwrap_or(&empty);
        out.push_str(&domain::attribution::focus::true_up_line(
            day,
            &provider,
            r.totals.cost,
            tags,
            allocated,
            account,
        ));
    }
    out
}

/// The streamed file; `gaps` (the invoice basis) adds true-up rows.
fn stream(state: AppState, from: NaiveDate, to: NaiveDate, gaps: Vec<DayGap>) -> Response {
    let account = Account { id: "bursar".into(), name: "Bursar".into() };
    let days = domain::signals::signal::dates(from, to).collect::<Vec<_>>();
    let init = (state, days.into_iter(), HashMap::<i64, domain::TagSet>::new(), true);
    let body = futures_util::stream::unfold(init, move |(state, mut days, tagsets, first)| {
        let account = account.clone();
        let gaps = gaps.clone();
        async move {
            if first {
                return Some((
                    Ok::<Bytes, std::io::Error>(Bytes::from(domain::attribution::focus::header())),
                    (state, days, tagsets, false),
                ));
            }
            let day = days.next()?;
            let rows = match state.store.day_sums(day).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "FOCUS export failed");
                    return Some((Err(std::io::Error::other(e.to_string())), (state, days, tagsets, false)));
                }
            };
            // The tags of the rollups' own tag sets, read by id as they first appear.
            let mut tagsets = tagsets;
            let mut missing: Vec<i64> = rows.iter().map(|(id, _)| *id).filter(|id| !tagsets.contains_key(id)).collect();
            missing.dedup();
            if !missing.is_empty() {
                match state.store.tagsets(&missing).await {
                    Ok(found) => tagsets.extend(found),
                    Err(e) => return Some((Err(std::io::Error::other(e.to_string())), (state, days, tagsets, false))),
                }
            }
            let catalog = state.catalog_service.catalog();
            let at = day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
            let empty = domain::TagSet::new();
            let mut chunk = String::new();
            for (tagset, sum) in &rows {
                let rates = catalog
                    .version_for(Some(sum.provider.as_str()).filter(|p| !p.is_empty()), &sum.model, at)
                    .map(|v| v.rates.clone());
                chunk.push_str(&domain::attribution::focus::lines(
                    sum,
                    rates.as_ref(),
                    tagsets.get(tagset).unwrap_or(&empty),
                    &account,
                ));
            }
            chunk.push_str(&true_up_lines(day, &gaps, &rows, &tagsets, &account));
            Some((Ok(Bytes::from(chunk)), (state, days, tagsets, false)))
        }
    });
    let name = format!("bursar-focus-{from}-{to}.csv");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// `GET /api/v1/export/focus.csv` with an API key.
pub async fn api_focus(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let (from, to) = range(&params)?;
    let gaps = gaps(&state, &params, from, to).await?;
    Ok(stream(state, from, to, gaps))
}

/// The true-up gaps when `basis=invoice` (none on the recorded basis).
async fn gaps(
    state: &AppState,
    params: &HashMap<String, String>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayGap>, ApiError> {
    match Basis::parse(params.get("basis").map(String::as_str)).map_err(ApiError::Invalid)? {
        Basis::Recorded => Ok(Vec::new()),
        Basis::Invoice => Ok(state.invoices.day_gaps(from, to + chrono::Duration::days(1)).await?),
    }
}

/// `GET /focus.csv` for a signed-in person.
pub async fn page_focus(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if accounts::current_person(&state.store, &session).await.is_none() {
        return (StatusCode::UNAUTHORIZED, "sign in first").into_response();
    }
    let (from, to) = match range(&params) {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    match gaps(&state, &params, from, to).await {
        Ok(gaps) => stream(state, from, to, gaps),
        Err(e) => e.into_response(),
    }
}

/// This resource's routes (the scope each needs is in the endpoint table).
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/export/focus.csv", get(api_focus)).route("/focus.csv", get(page_focus))
}
