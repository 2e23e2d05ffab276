//! Charts. The page always renders a container (and the numbers as tables
//! elsewhere, for readers without JavaScript); in the browser an effect draws
//! the chart into it with charming, which calls the ECharts script Bursar
//! serves itself at `/echarts.min.js`.

use domain::attribution::report::SpendReport;
use leptos::prelude::*;

/// Most series drawn; the rest are summed into "other".
pub const MAX_SERIES: usize = 7;

/// Dates on the x axis, and one series of daily dollar amounts per group
/// (largest first, the tail folded into "other"). Dollars are `f64` here
/// only because a chart draws them; nothing is computed from these values.
pub fn daily_series(report: &SpendReport) -> (Vec<String>, Vec<(String, Vec<f64>)>) {
    let labels: Vec<String> = report
        .series
        .as_ref()
        .map(|s| s.iter().map(|p| p.start.format("%b %d").to_string()).collect())
        .unwrap_or_default();
    let mut out: Vec<(String, Vec<f64>)> = Vec::new();
    let mut other = vec![0.0; labels.len()];
    for (i, g) in report.groups.iter().enumerate() {
        let name = g.values.iter().map(crate::components::format::label).collect::<Vec<_>>().join(" · ");
        let vals: Vec<f64> =
            g.series.as_ref().map(|s| s.iter().map(|p| p.totals.cost.0 as f64 / 1e9).collect()).unwrap_or_default();
        if i < MAX_SERIES {
            out.push((name, vals));
        } else {
            for (o, v) in other.iter_mut().zip(vals) {
                *o += v;
            }
        }
    }
    if report.groups.len() > MAX_SERIES {
        out.push(("other".into(), other));
    }
    (labels, out)
}

/// A stacked chart of a grouped report with a granularity: bars, or areas
/// with `area`. `id` names the container for tests (`data-testid`).
#[component]
pub fn StackedChart(
    report: SpendReport,
    id: &'static str,
    #[prop(optional)] area: bool,
    label: &'static str,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    {
        let (labels, series) = daily_series(&report);
        Effect::new(move |_| {
            if let Some(el) = node.get() {
                draw_when_attached(el, labels.clone(), series.clone(), area, 0);
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (&report, daily_series, area);
    view! {
        <div node_ref=node id=id data-testid=id class="chart" data-chart="pending" role="img" aria-label=label></div>
    }
}

/// The top groups of a report as horizontal bars (the rest folded into "other").
#[component]
pub fn BreakdownBars(report: SpendReport, id: &'static str, label: &'static str) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let mut bars: Vec<(String, f64)> = report
        .groups
        .iter()
        .take(12)
        .map(|g| {
            let name = g.values.iter().map(crate::components::format::label).collect::<Vec<_>>().join(" · ");
            (name, (g.totals.cost.0 as f64 / 1e7).round() / 100.0)
        })
        .collect();
    let rest: i64 = report.groups.iter().skip(12).map(|g| g.totals.cost.0).sum();
    if rest > 0 {
        bars.push(("other".into(), (rest as f64 / 1e7).round() / 100.0));
    }
    bars.reverse();
    let height = format!("height:{}px", 60 + 26 * bars.len());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
            let values: Vec<f64> = bars.iter().map(|b| b.1).collect();
            draw_bars_when_attached(el, labels, values, 0);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = bars;
    view! {
        <div node_ref=node id=id data-testid=id class="chart bars" style=height data-chart="pending" role="img" aria-label=label></div>
    }
}

/// Two daily series side by side (billed and attributed, say): bars, not
/// stacked. Dollars are `f64` only to be drawn.
#[component]
pub fn PairChart(
    id: &'static str,
    label: &'static str,
    labels: Vec<String>,
    first: (&'static str, Vec<f64>),
    second: (&'static str, Vec<f64>),
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            draw_pair_when_attached(el, labels.clone(), first.clone(), second.clone(), 0);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (labels, first, second);
    view! {
        <div node_ref=node id=id data-testid=id class="chart" data-chart="pending" role="img" aria-label=label></div>
    }
}

#[cfg(feature = "hydrate")]
fn draw_pair_when_attached(
    el: leptos::web_sys::HtmlDivElement,
    labels: Vec<String>,
    first: (&'static str, Vec<f64>),
    second: (&'static str, Vec<f64>),
    tries: u32,
) {
    use charming::component::{Axis, Grid, Legend};
    use charming::element::{AxisLabel, AxisType, Tooltip, Trigger};
    use charming::series::Bar;
    use charming::{Chart, WasmRenderer};
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    if !el.is_connected() {
        if tries < 120 {
            request_animation_frame(move || draw_pair_when_attached(el, labels, first, second, tries + 1));
        }
        return;
    }
    echarts_dispose(&el);
    let id = format!("pair-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    el.set_id(&id);
    let round = |v: &[f64]| v.iter().map(|x| (x * 100.0).round() / 100.0).collect::<Vec<f64>>();
    let chart = Chart::new()
        .color(vec!["#f59e0b", "#4f46e5"])
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().bottom(0))
        .grid(Grid::new().left(8).right(8).top(16).bottom(40).contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value).axis_label(AxisLabel::new().formatter("${value}")))
        .series(Bar::new().name(first.0).data(round(&first.1)))
        .series(Bar::new().name(second.0).data(round(&second.1)));
    let ok = WasmRenderer::new_opt(None, None).render(&id, &chart).is_ok();
    let _ = el.set_attribute("data-chart", if ok { "drawn" } else { "failed" });
}

#[cfg(feature = "hydrate")]
fn draw_bars_when_attached(el: leptos::web_sys::HtmlDivElement, labels: Vec<String>, values: Vec<f64>, tries: u32) {
    use charming::component::{Axis, Grid};
    use charming::element::{AxisLabel, AxisType, Tooltip, Trigger};
    use charming::series::Bar;
    use charming::{Chart, WasmRenderer};
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    if !el.is_connected() {
        if tries < 120 {
            request_animation_frame(move || draw_bars_when_attached(el, labels, values, tries + 1));
        }
        return;
    }
    echarts_dispose(&el);
    let id = format!("bars-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    el.set_id(&id);
    let chart = Chart::new()
        .color(vec!["#4f46e5"])
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .grid(Grid::new().left(8).right(24).top(8).bottom(8).contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Value).axis_label(AxisLabel::new().formatter("${value}")))
        .y_axis(Axis::new().type_(AxisType::Category).data(labels))
        .series(Bar::new().name("cost").data(values));
    let ok = WasmRenderer::new_opt(None, None).render(&id, &chart).is_ok();
    let _ = el.set_attribute("data-chart", if ok { "drawn" } else { "failed" });
}

/// Draws once the element is in the document (a page that replaces another
/// builds its elements before swapping them in), giving each drawing its own
/// element id so the old page's chart is never the one drawn on.
#[cfg(feature = "hydrate")]
fn draw_when_attached(
    el: leptos::web_sys::HtmlDivElement,
    labels: Vec<String>,
    series: Vec<(String, Vec<f64>)>,
    area: bool,
    tries: u32,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    if !el.is_connected() {
        if tries < 120 {
            request_animation_frame(move || draw_when_attached(el, labels, series, area, tries + 1));
        }
        return;
    }
    // A page rebuilt in place keeps this element; drop the chart drawn on it before.
    echarts_dispose(&el);
    let id = format!("chart-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    el.set_id(&id);
    match draw(&id, &labels, &series, area) {
        Ok(()) => {
            let _ = el.set_attribute("data-chart", "drawn");
        }
        Err(e) => {
            let _ = el.set_attribute("data-chart", "failed");
            leptos::logging::error!("chart {id} could not be drawn: {e}");
        }
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `echarts.dispose(element)`: forgets the chart drawn on an element, if any.
    #[wasm_bindgen(js_namespace = echarts, js_name = dispose)]
    fn echarts_dispose(el: &leptos::web_sys::Element);
}

#[cfg(feature = "hydrate")]
fn draw(id: &str, labels: &[String], series: &[(String, Vec<f64>)], area: bool) -> Result<(), String> {
    use charming::component::{Axis, Grid, Legend, LegendType};
    use charming::element::AreaStyle;
    use charming::element::{AxisLabel, AxisType, Tooltip, Trigger};
    use charming::series::{Bar, Line};
    use charming::{Chart, WasmRenderer};
    let palette = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#94a3b8"];
    let mut chart = Chart::new()
        .color(palette.to_vec())
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().type_(LegendType::Scroll).bottom(0))
        .grid(Grid::new().left(8).right(8).top(16).bottom(40).contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).data(labels.to_vec()))
        .y_axis(Axis::new().type_(AxisType::Value).axis_label(AxisLabel::new().formatter("${value}")));
    for (name, vals) in series {
        let rounded: Vec<f64> = vals.iter().map(|v| (v * 100.0).round() / 100.0).collect();
        chart = if area {
            chart.series(
                Line::new()
                    .name(name.as_str())
                    .stack("cost")
                    .area_style(AreaStyle::new())
                    .show_symbol(false)
                    .data(rounded),
            )
        } else {
            chart.series(Bar::new().name(name.as_str()).stack("cost").data(rounded))
        };
    }
    WasmRenderer::new_opt(None, None).render(id, &chart).map(|_| ()).map_err(|e| format!("{e:?}"))
}

/// A budget's burn-down: cumulative spend through the period, the amount as
/// a line, and the run-rate forecast to the period's end, dashed.
#[component]
pub fn BurnChart(view: domain::budgets::budget_view::BudgetView, id: &'static str) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let dollars = |n: domain::Nanos| (n.0 as f64 / 1e7).round() / 100.0;
    let fmt = if view.spec.period == domain::budgets::budget::BudgetPeriod::Day { "%H:%M" } else { "%b %d" };
    let mut labels: Vec<String> = view.burn.iter().map(|p| p.at.format(fmt).to_string()).collect();
    let mut spent: Vec<Option<f64>> = view.burn.iter().map(|p| Some(dollars(p.spent))).collect();
    let mut forecast: Vec<Option<f64>> = vec![None; spent.len()];
    if let (Some(f), Some(last)) = (view.forecast, spent.last().copied().flatten()) {
        if let Some(slot) = forecast.last_mut() {
            *slot = Some(last);
        }
        labels.push(view.period_end.format(fmt).to_string());
        spent.push(None);
        forecast.push(Some(dollars(f)));
    }
    let limit = dollars(view.spec.amount);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            draw_burn_when_attached(el, labels.clone(), spent.clone(), forecast.clone(), limit, 0);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (labels, spent, forecast, limit);
    view! {
        <div node_ref=node id=id data-testid=id class="chart" data-chart="pending" role="img" aria-label="Cumulative spend against the budget"></div>
    }
}

#[cfg(feature = "hydrate")]
fn draw_burn_when_attached(
    el: leptos::web_sys::HtmlDivElement,
    labels: Vec<String>,
    spent: Vec<Option<f64>>,
    forecast: Vec<Option<f64>>,
    limit: f64,
    tries: u32,
) {
    use charming::component::{Axis, Grid, Legend};
    use charming::element::{AreaStyle, AxisLabel, AxisType, LineStyle, LineStyleType, Tooltip, Trigger};
    use charming::series::Line;
    use charming::{Chart, WasmRenderer};
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    if !el.is_connected() {
        if tries < 120 {
            request_animation_frame(move || draw_burn_when_attached(el, labels, spent, forecast, limit, tries + 1));
        }
        return;
    }
    echarts_dispose(&el);
    let id = format!("burn-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    el.set_id(&id);
    let n = labels.len();
    let chart = Chart::new()
        .color(vec!["#4f46e5", "#f59e0b", "#ef4444"])
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .legend(Legend::new().bottom(0))
        .grid(Grid::new().left(8).right(16).top(16).bottom(40).contain_label(true))
        .x_axis(Axis::new().type_(AxisType::Category).boundary_gap(false).data(labels))
        .y_axis(Axis::new().type_(AxisType::Value).axis_label(AxisLabel::new().formatter("${value}")))
        .series(Line::new().name("Spent").show_symbol(false).area_style(AreaStyle::new().opacity(0.15)).data(spent))
        .series(
            Line::new()
                .name("Forecast")
                .show_symbol(false)
                .connect_nulls(true)
                .line_style(LineStyle::new().type_(LineStyleType::Dashed))
                .data(forecast),
        )
        .series(
            Line::new()
                .name("Budget")
                .show_symbol(false)
                .line_style(LineStyle::new().type_(LineStyleType::Dotted))
                .data(vec![limit; n]),
        );
    let ok = WasmRenderer::new_opt(None, None).render(&id, &chart).is_ok();
    let _ = el.set_attribute("data-chart", if ok { "drawn" } else { "failed" });
}
