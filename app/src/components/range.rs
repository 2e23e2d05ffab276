//! The custom period form: a "from – to" date pair that keeps the rest of a
//! view's state in hidden fields (Overview and Explore).

use leptos::prelude::*;

/// A "from – to" date form for a custom period; `children` add the hidden
/// fields that keep the rest of the view.
#[component]
pub fn CustomRange(
    action: &'static str,
    from: Option<String>,
    to: Option<String>,
    active: bool,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <form class="custom-range" class:active=active method="get" action=action data-testid="custom-range">
            <input type="hidden" name="period" value="custom"/>
            {children.map(|c| c())}
            <input type="date" name="from" value=from.unwrap_or_default() required=true aria-label="From"/>
            <span>"–"</span>
            <input type="date" name="to" value=to.unwrap_or_default() required=true aria-label="To"/>
            <button type="submit" class="btn secondary small">"Custom"</button>
        </form>
    }
}
