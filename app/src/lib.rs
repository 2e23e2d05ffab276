//! Bursar's web app: the page shell, the routes, and each page with the
//! server functions that feed it. Compiled twice: with `ssr` into the server,
//! with `hydrate` into the browser's wasm.

// The pages' view types are deep; release builds (which do not erase them,
// unlike debug builds) need more than the default limit to lay them out.
#![recursion_limit = "512"]

pub mod account;
pub mod alerts;
pub mod api_catalog;
pub mod api_page;
pub mod audit;
pub mod auth;
pub mod budget_form;
pub mod budgets;
pub mod catalog_ctx;
pub mod chart;
pub mod csp;
pub mod errors;
pub mod explore;
pub mod explore_state;
pub mod format;
pub mod jobs;
pub mod keys;
pub mod modeller;
pub mod otlp_mapping;
pub mod overview;
pub mod price_names;
pub mod prices;
pub mod signals;
pub mod tasks;
pub mod taxonomy;
pub mod untagged;
pub mod users;
pub mod webhook_field;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{ParamSegment, StaticSegment};

/// "Updating…" for a page whose data follows `key`: set when the key
/// changes (effects run only in the browser), cleared by the caller when the
/// data arrives. `try_set`/`try_get`, because a replaced page's signal may
/// already be gone when a late write arrives.
pub fn pending_on<K: PartialEq + Clone + Send + Sync + 'static>(key: impl Fn() -> K + 'static) -> RwSignal<bool> {
    let pending = RwSignal::new(false);
    Effect::new(move |prev: Option<K>| {
        let now = key();
        if prev.is_some_and(|p| p != now) {
            pending.try_set(true);
        }
        now
    });
    pending
}

/// A server function's error as a person should read it: the server's own
/// words, without the transport's prefix.
pub fn error_text(e: &ServerFnError) -> String {
    match e {
        ServerFnError::ServerError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// The alert a page shows when its data could not be read.
pub fn error_box(e: &ServerFnError) -> AnyView {
    view! { <div class="error-box" role="alert">{error_text(e)}</div> }.into_any()
}

/// The HTML document every page is rendered into.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::set_header(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <script src="/echarts.min.js" nonce=use_nonce()></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: navigation and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the page as hydrated, so browser tests know clicks will work.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    let menu: NodeRef<leptos::html::Input> = NodeRef::new();
    // A link chosen from the phone menu closes it (client-side navigation keeps the page).
    let close_menu = move |_| {
        if let Some(m) = menu.get() {
            m.set_checked(false);
        }
    };
    view! {
        <Stylesheet id="leptos" href="/pkg/bursar.css"/>
        <Title text="Bursar · LLM spend"/>
        <Router>
            <div class="layout">
                <header class="topbar">
                    <a class="brand" href="/">
                        <span class="brand-mark">"B"</span>
                        <span class="brand-name">"Bursar"</span>
                    </a>
                    // On a phone the links fold into a menu: a checkbox and its
                    // label open it, so it works before hydration and without JavaScript.
                    <input type="checkbox" id="menu-toggle" class="menu-toggle" node_ref=menu aria-hidden="true"/>
                    <label for="menu-toggle" class="menu-button" data-testid="menu-button">"Menu"</label>
                    <div class="menu-panel" on:click=close_menu>
                        <nav class="nav">
                            <A href="/" exact=true>"Overview"</A>
                            <A href="/explore">"Explore"</A>
                            <A href="/untagged">"Untagged"</A>
                            <A href="/budgets">"Budgets"</A>
                            <A href="/alerts">"Alerts"</A>
                            <A href="/signals">"Signals"</A>
                            <A href="/model">"Cost model"</A>
                        </nav>
                        <span class="topbar-note">"LLM spend, attributed"</span>
                        <auth::UserMenu/>
                    </div>
                </header>
                <main class="content">
                    <Routes fallback=NotFound>
                        <Route path=StaticSegment("") view=overview::OverviewPage/>
                        <Route path=StaticSegment("explore") view=explore::ExplorePage/>
                        <Route path=(StaticSegment("tasks"), ParamSegment("id")) view=tasks::TaskPage/>
                        <Route path=StaticSegment("untagged") view=untagged::UntaggedPage/>
                        <Route path=StaticSegment("budgets") view=budgets::BudgetsPage/>
                        <Route path=(StaticSegment("budgets"), StaticSegment("new")) view=budget_form::NewBudgetPage/>
                        <Route path=(StaticSegment("budgets"), ParamSegment("id")) view=budgets::BudgetPage/>
                        <Route
                            path=(StaticSegment("budgets"), ParamSegment("id"), StaticSegment("edit"))
                            view=budget_form::EditBudgetPage
                        />
                        <Route path=StaticSegment("alerts") view=alerts::AlertsPage/>
                        <Route path=StaticSegment("signals") view=signals::SignalsPage/>
                        <Route path=StaticSegment("model") view=modeller::ModellerPage/>
                        <Route path=StaticSegment("keys") view=keys::KeysPage/>
                        <Route path=StaticSegment("users") view=users::UsersPage/>
                        <Route path=StaticSegment("taxonomy") view=taxonomy::TaxonomyPage/>
                        <Route path=StaticSegment("prices") view=prices::PricesPage/>
                        <Route path=StaticSegment("audit") view=audit::AuditPage/>
                        <Route path=StaticSegment("developers") view=api_page::ApiPage/>
                        <Route path=StaticSegment("account") view=account::AccountPage/>
                        <Route path=StaticSegment("login") view=auth::LoginPage/>
                        <Route path=StaticSegment("setup") view=auth::SetupPage/>
                    </Routes>
                </main>
                <footer class="footer">
                    "Bursar · costs in USD, exact to the nano-dollar · prices from the catalog admins keep · "
                    <a href="/developers">"API"</a>
                </footer>
            </div>
        </Router>
    }
}

/// The page for an unknown address.
#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <div class="empty">
            <h1>"Page not found"</h1>
            <p>
                "There is nothing at this address. " <a href="/">"Go to the overview"</a> "."
            </p>
        </div>
    }
}
