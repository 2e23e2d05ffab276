//! Bursar's web app: the page shell, the routes, and each page with the
//! server functions that feed it. Compiled twice: with `ssr` into the server,
//! with `hydrate` into the browser's wasm.

// The pages' view types are deep; release builds (which do not erase them,
// unlike debug builds) need more than the default limit to lay them out.
#![recursion_limit = "512"]

pub mod api_catalog;
pub mod components;
pub mod csp;
pub mod explore_state;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{ParamSegment, StaticSegment};
use pages::{attribution, budgets, catalog, invoice, people, signals};

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
                            <A href="/reconcile">"Reconcile"</A>
                            <A href="/budgets">"Budgets"</A>
                            <A href="/alerts">"Alerts"</A>
                            <A href="/signals">"Signals"</A>
                            <A href="/model">"Cost model"</A>
                        </nav>
                        <span class="topbar-note">"LLM spend, attributed"</span>
                        <components::user_menu::UserMenu/>
                    </div>
                </header>
                <main class="content">
                    <Routes fallback=NotFound>
                        <Route path=StaticSegment("") view=attribution::overview::OverviewPage/>
                        <Route path=StaticSegment("explore") view=attribution::explore::ExplorePage/>
                        <Route path=(StaticSegment("tasks"), ParamSegment("id")) view=attribution::tasks::TaskPage/>
                        <Route path=StaticSegment("untagged") view=attribution::untagged::UntaggedPage/>
                        <Route path=StaticSegment("reconcile") view=invoice::reconcile::ReconcilePage/>
                        <Route path=StaticSegment("budgets") view=budgets::standing::BudgetsPage/>
                        <Route path=(StaticSegment("budgets"), StaticSegment("new")) view=budgets::budget_form::NewBudgetPage/>
                        <Route path=(StaticSegment("budgets"), ParamSegment("id")) view=budgets::standing::BudgetPage/>
                        <Route
                            path=(StaticSegment("budgets"), ParamSegment("id"), StaticSegment("edit"))
                            view=budgets::budget_form::EditBudgetPage
                        />
                        <Route path=StaticSegment("alerts") view=budgets::alerts::AlertsPage/>
                        <Route path=StaticSegment("signals") view=signals::report::SignalsPage/>
                        <Route path=StaticSegment("model") view=signals::modeller::ModellerPage/>
                        <Route path=StaticSegment("keys") view=people::keys::KeysPage/>
                        <Route path=StaticSegment("users") view=people::users::UsersPage/>
                        <Route path=StaticSegment("taxonomy") view=catalog::taxonomy::TaxonomyPage/>
                        <Route path=StaticSegment("prices") view=catalog::prices::PricesPage/>
                        <Route path=StaticSegment("audit") view=people::audit::AuditPage/>
                        <Route path=StaticSegment("developers") view=pages::api::ApiPage/>
                        <Route path=StaticSegment("account") view=people::account::AccountPage/>
                        <Route path=StaticSegment("login") view=people::auth::LoginPage/>
                        <Route path=StaticSegment("setup") view=people::auth::SetupPage/>
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
