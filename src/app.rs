//! The HTML shell, the router and the page list.
use crate::components::layout::AppLayout;
use crate::components::theme::{self, ThemeState};
use crate::pages::{
    dashboard::DashboardPage,
    inbox::InboxPage,
    invite::AcceptInvitePage,
    lead::LeadPage,
    lead_new::NewLeadPage,
    leads::LeadsPage,
    login::LoginPage,
    not_found::NotFoundPage,
    outbox::{OutboxMailPage, OutboxPage},
    settings::SettingsPage,
    signup::SignupPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The theme chosen in this browser (a cookie), drawn from the first byte.
    let theme = theme::current();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.attribute()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content=theme.color_scheme()/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <meta name="leadwire-seq" content=head_seq()/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, after hydration: tests wait for this marker.
    Effect::new(|_| mark_hydrated());
    let theme = RwSignal::new(theme::current());
    provide_context(ThemeState(theme));
    Effect::new(move |_| theme::follow_other_tabs(theme));

    // Every page is rendered whole on the server (Async), so it reads without JavaScript.
    let ssr = SsrMode::Async;
    view! {
        <Stylesheet id="leptos" href="/pkg/leadwire.css"/>
        <Title formatter=|text: String| if text.is_empty() { "Leadwire".to_string() } else { format!("{text} · Leadwire") }/>
        <Router>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/login") view=LoginPage ssr=ssr.clone()/>
                <Route path=path!("/signup") view=SignupPage ssr=ssr.clone()/>
                <Route path=path!("/invite/:token") view=AcceptInvitePage ssr=ssr.clone()/>
                <ParentRoute path=path!("") view=AppLayout ssr=ssr.clone()>
                    <Route path=path!("") view=InboxPage ssr=ssr.clone()/>
                    <Route path=path!("/inbox") view=InboxPage ssr=ssr.clone()/>
                    <Route path=path!("/leads") view=LeadsPage ssr=ssr.clone()/>
                    <Route path=path!("/leads/new") view=NewLeadPage ssr=ssr.clone()/>
                    <Route path=path!("/leads/:id") view=LeadPage ssr=ssr.clone()/>
                    <Route path=path!("/dashboard") view=DashboardPage ssr=ssr.clone()/>
                    <Route path=path!("/outbox") view=OutboxPage ssr=ssr.clone()/>
                    <Route path=path!("/outbox/:id") view=OutboxMailPage ssr=ssr.clone()/>
                    <Route path=path!("/settings") view=SettingsPage ssr=ssr.clone()/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Where this page's socket resumes from (see `server::page_guard::HeadSeq`); -1: from "now".
fn head_seq() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|p| {
                p.extensions
                    .get::<crate::server::page_guard::HeadSeq>()
                    .copied()
            })
            .map_or_else(|| "-1".to_string(), |h| h.0.to_string())
    }
    #[cfg(not(feature = "ssr"))]
    {
        "-1".to_string()
    }
}

fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}
