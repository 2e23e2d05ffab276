//! What the modeller shows for a priced scenario: the estimate per task and
//! per month, where the money goes, tokens turn by turn, and the scenario
//! beside what its workflow really did.

use super::*;

#[component]
pub(super) fn EstimateView(result: Memo<Priced>) -> impl IntoView {
    move || match result.get() {
        Err(errs) => {
            let items = errs.into_iter().map(|(f, r)| view! { <li><code>{f}</code> " " {r}</li> }).collect_view();
            view! {
                <section class="card estimate" data-testid="estimate">
                    <div class="form-error" role="alert"><strong>"The scenario cannot be priced yet:"</strong><ul>{items}</ul></div>
                </section>
            }
            .into_any()
        }
        Ok((s, e)) => view! { <EstimateBody scenario=s estimate=e/> }.into_any(),
    }
}

#[component]
fn EstimateBody(scenario: Scenario, estimate: Estimate) -> impl IntoView {
    let e = estimate;
    let lines = e
        .lines
        .iter()
        .map(|l| {
            view! {
                <tr>
                    <td>{l.model.clone()}</td>
                    <td>{l.class.replace('_', " ")}</td>
                    <td class="num">{show(domain::signals::signal::Unit::Tokens, l.tokens_per_task.round())}</td>
                    <td class="num">{money(l.cost_per_task)}</td>
                    <td class="num">{format::usd(l.cost_per_month)}</td>
                </tr>
            }
        })
        .collect_view();
    let sens = e
        .sensitivity
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let class = if i == 0 { "" } else if s.change_pct > Decimal::ZERO { "up" } else { "down" };
            view! {
                <tr data-testid="sensitivity-row">
                    <td>{s.label.clone()}</td>
                    <td class="num">{money(s.cost_per_task)}</td>
                    <td class="num">{format::usd(s.cost_per_month)}</td>
                    <td class=format!("num {class}")>{if i == 0 { "—".to_string() } else { format!("{:+}%", s.change_pct.normalize()) }}</td>
                </tr>
            }
        })
        .collect_view();
    let year: domain::Nanos = e.months.iter().fold(domain::Nanos::ZERO, |a, m| a + m.cost);
    let last = e.months.last().map(|m| m.cost).unwrap_or_default();
    view! {
        <section class="card estimate" data-testid="estimate">
            <div class="card-head"><h2>"Estimate"</h2><span class="subtle">"prices in force today · a month is 30 days"</span></div>
            <div class="kpis">
                <div class="kpi"><span class="kpi-label">"Cost per task"</span><span class="kpi-value" data-testid="cost-per-task">{money(e.cost_per_task_mean)}</span><span class="hint">{format!("p95 {} ({} calls)", money(e.cost_per_task_p95), e.p95_loops)}</span></div>
                <div class="kpi"><span class="kpi-label">"Cost per month"</span><span class="kpi-value" data-testid="cost-per-month">{format::usd(e.cost_per_month)}</span><span class="hint">{format!("month 12: {}", format::usd(last))}</span></div>
                <div class="kpi"><span class="kpi-label">"Next 12 months"</span><span class="kpi-value">{format::usd(year)}</span><span class="hint">{format!("{}% growth a month", scenario.growth_per_month.normalize())}</span></div>
                <div class="kpi"><span class="kpi-label">"Per call"</span><span class="kpi-value">{money(e.cost_per_call)}</span><span class="hint">{format!("{} calls per task · {} cached", e.calls_per_task.normalize(), show(domain::signals::signal::Unit::Percent, e.token_cache_hit))}</span></div>
            </div>
            <div class="estimate-grid">
                <div>
                    <h3>"Tokens per call, turn by turn (p95 task)"</h3>
                    {turns_chart(&e)}
                    <p class="hint">"Each turn resends the context carried so far, so a task's input grows with the square of its loop count unless the context is pruned."</p>
                </div>
                <div>
                    <h3>"What-if"</h3>
                    <table class="table compact" data-testid="sensitivity">
                        <thead><tr><th></th><th class="num">"Per task"</th><th class="num">"Per month"</th><th class="num">"Change"</th></tr></thead>
                        <tbody>{sens}</tbody>
                    </table>
                </div>
            </div>
            <h3>"Where the money goes (mean task)"</h3>
            <table class="table compact" data-testid="breakdown">
                <thead><tr><th>"Model"</th><th>"Token class"</th><th class="num">"Tokens per task"</th><th class="num">"Per task"</th><th class="num">"Per month"</th></tr></thead>
                <tbody>{lines}</tbody>
            </table>
        </section>
    }
}

/// Stacked bars of each turn's input (cached part lighter) and output.
fn turns_chart(e: &Estimate) -> impl IntoView {
    let (w, h) = (520.0_f64, 150.0_f64);
    let turns = &e.turns;
    let max = turns.iter().map(|t| t.input_tokens + t.output_tokens).max().unwrap_or(1).max(1) as f64;
    let n = turns.len().max(1) as f64;
    let bw = (w / n).max(1.0);
    let bars = turns
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let x = i as f64 * bw;
            let cached = t.cached_tokens.to_f64().unwrap_or(0.0);
            let input = t.input_tokens as f64;
            let out = t.output_tokens as f64;
            let scale = |v: f64| v / max * (h - 14.0);
            let (hi, hc, ho) = (scale(input - cached), scale(cached), scale(out));
            let title = format!(
                "turn {}: {} input ({} cached), {} output, {}",
                t.turn,
                format::count(t.input_tokens),
                format::count(cached.round() as i64),
                format::count(t.output_tokens),
                money(t.cost)
            );
            view! {
                <g>
                    <title>{title}</title>
                    <rect class="bar-out" x=format!("{x:.1}") y=format!("{:.1}", h - ho) width=format!("{:.1}", (bw - 1.0).max(0.5)) height=format!("{ho:.1}")></rect>
                    <rect class="bar-cached" x=format!("{x:.1}") y=format!("{:.1}", h - ho - hc) width=format!("{:.1}", (bw - 1.0).max(0.5)) height=format!("{hc:.1}")></rect>
                    <rect class="bar-input" x=format!("{x:.1}") y=format!("{:.1}", h - ho - hc - hi) width=format!("{:.1}", (bw - 1.0).max(0.5)) height=format!("{hi:.1}")></rect>
                </g>
            }
        })
        .collect_view();
    let first = turns.first().map(|t| t.input_tokens).unwrap_or(0);
    let lastt = turns.last().map(|t| (t.turn, t.input_tokens)).unwrap_or((0, 0));
    view! {
        <svg class="turns-chart" viewBox=format!("0 0 {w} {h}") preserveAspectRatio="none" role="img" data-testid="turns-chart">{bars}</svg>
        <div class="legend">
            <span><i class="sw input"></i>"input"</span>
            <span><i class="sw cached"></i>"cached input"</span>
            <span><i class="sw out"></i>"output"</span>
            <span class="subtle">{format!("turn 1: {} input tokens → turn {}: {}", format::count(first), lastt.0, format::count(lastt.1))}</span>
        </div>
    }
}

#[component]
pub(super) fn ActualTable(actual: Actual, scenario: Scenario, estimate: Estimate, tolerance: Decimal) -> impl IntoView {
    let rows = compare(&scenario, &estimate, &actual.observed, tolerance);
    let flagged = rows.iter().filter(|r| r.flagged).count();
    let body = rows
        .into_iter()
        .map(|r| {
            let dep = r.departure_pct.map(|d| format!("{:+}%", d.normalize())).unwrap_or_else(|| "—".into());
            view! {
                <tr class:flagged=r.flagged data-testid="actual-row" data-flagged=r.flagged.to_string()>
                    <td>{r.label.clone()}</td>
                    <td class="num">{show(r.unit, r.modelled)}</td>
                    <td class="num">{r.observed.map(|o| show(r.unit, o)).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{if r.flagged { view! { <span class="badge over">{dep}</span> }.into_any() } else { view! { <span>{dep}</span> }.into_any() }}</td>
                </tr>
            }
        })
        .collect_view();
    let o = &actual.observed;
    let summary = format!(
        "{}: {} calls in {} tasks, {} from {} to {}; {} of 9 figures depart by more than {}%.",
        actual.workflow,
        format::count(o.calls),
        format::count(o.tasks as i64),
        format::usd(o.spend),
        actual.from.format("%b %d"),
        actual.to.format("%b %d"),
        flagged,
        tolerance.normalize()
    );
    let explore = format!("/signals?key=workflow&days=90#{}", actual.workflow);
    view! {
        <p class="subtle" data-testid="actual-summary">{summary} " " <a href=explore>"Signals"</a></p>
        <table class="table compact">
            <thead><tr><th></th><th class="num">"Modelled"</th><th class="num">"Observed"</th><th class="num">"Departure"</th></tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
}
