//! Loading, empty and error states shared by the pages.
use crate::model::error::AppError;
use leptos::prelude::*;

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" aria-busy="true">"Loading…"</p> }
}

/// A friendly empty state with an optional call to action.
#[component]
pub fn EmptyState(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="empty">
            <h2>{title}</h2>
            {children()}
        </div>
    }
}

/// An error that stopped a page or section from loading.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    // A server-rendered "not found" page answers 404, like the JSON API does.
    #[cfg(feature = "ssr")]
    if matches!(error, AppError::NotFound) {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    let message = match &error {
        AppError::NotFound => {
            "We couldn't find that. It may have been removed, or the link is wrong.".to_string()
        }
        AppError::Unauthorized => "Your session has ended. Please sign in again.".to_string(),
        other => other.to_string(),
    };
    let signin = matches!(error, AppError::Unauthorized);
    view! {
        <div class="notice error" role="alert">
            <p>{message}</p>
            {signin.then(|| view! { <a href="/login" class="btn">"Sign in"</a> })}
        </div>
    }
}
