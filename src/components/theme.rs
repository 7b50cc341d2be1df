//! Light, dark, or whatever the system says: the theme chosen for this browser. The choice is a
//! cookie, so the server draws the page in it (no flash of the other theme before the WASM
//! runs), and a local-storage key, whose change other open tabs hear and follow. The colours
//! themselves are CSS (`light-dark()` in `style/main.css`, by `data-theme` on `<html>`).
use leptos::prelude::*;

/// The cookie the server reads; not secret, so scripts may write it.
pub const COOKIE: &str = "lw_theme";
/// The local-storage key other tabs listen to.
const STORAGE_KEY: &str = "leadwire.theme";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Theme::System => "Match the system",
            Theme::Light => "Light",
            Theme::Dark => "Dark",
        }
    }

    /// Anything but `light` or `dark` follows the system.
    pub fn parse(raw: &str) -> Theme {
        match raw.trim() {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }

    /// The `data-theme` of `<html>`; none lets the system decide.
    pub fn attribute(self) -> Option<&'static str> {
        (self != Theme::System).then_some(self.as_str())
    }

    /// The `color-scheme` meta tag: what the browser may paint before the stylesheet loads.
    pub fn color_scheme(self) -> &'static str {
        match self {
            Theme::System => "light dark",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// The theme the page is drawn in: the request's cookie on the server, `<html>` in the browser
/// (which the server set from the same cookie, so both render alike).
pub fn current() -> Theme {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get_all(axum::http::header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(';'))
                    .find_map(|pair| {
                        let (name, value) = pair.trim().split_once('=')?;
                        (name == COOKIE).then(|| Theme::parse(value))
                    })
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        document()
            .document_element()
            .and_then(|html| html.get_attribute("data-theme"))
            .map(|t| Theme::parse(&t))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Theme::System
    }
}

/// Draws the page in `theme` now.
fn apply(theme: Theme) {
    #[cfg(feature = "hydrate")]
    if let Some(html) = document().document_element() {
        let _ = match theme.attribute() {
            Some(value) => html.set_attribute("data-theme", value),
            None => html.remove_attribute("data-theme"),
        };
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = theme;
}

/// Chooses `theme` for this browser: this tab at once, other tabs through storage, later pages
/// through the cookie (a year; SameSite=Lax like the session's).
fn choose(theme: Theme) {
    apply(theme);
    crate::client::storage::set(STORAGE_KEY, theme.as_str());
    #[cfg(feature = "hydrate")]
    {
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            theme.as_str()
        );
        let _ = js_sys::Reflect::set(&document(), &"cookie".into(), &cookie.into());
    }
}

/// Follows a theme chosen in another tab of this browser (mounted once, by the app's layout).
pub fn follow_other_tabs(theme: RwSignal<Theme>) {
    #[cfg(feature = "hydrate")]
    {
        // The layout lives as long as the page: the listener is never removed.
        let _ = window_event_listener(leptos::ev::storage, move |event| {
            if event.key().as_deref() != Some(STORAGE_KEY) {
                return;
            }
            let chosen = event
                .new_value()
                .map(|v| Theme::parse(&v))
                .unwrap_or_default();
            apply(chosen);
            theme.set(chosen);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = theme;
}

/// The theme shared by the layout and the settings control.
#[derive(Clone, Copy)]
pub struct ThemeState(pub RwSignal<Theme>);

/// The appearance choice (Settings → Your profile): three radio buttons, applied at once.
#[component]
pub fn ThemeChoice() -> impl IntoView {
    let theme = use_context::<ThemeState>()
        .map(|ThemeState(t)| t)
        .unwrap_or_else(|| RwSignal::new(current()));
    view! {
        <fieldset class="theme-choice">
            <legend>"Appearance"</legend>
            <div class="segmented" role="presentation">
                {Theme::ALL.into_iter().map(|t| {
                    let id = format!("theme-{}", t.as_str());
                    view! {
                        <input type="radio" name="theme" id=id.clone() value=t.as_str()
                            prop:checked=move || theme.get() == t
                            checked=theme.get_untracked() == t
                            on:change=move |_| { theme.set(t); choose(t); }/>
                        <label for=id class="seg-btn">{t.label()}</label>
                    }
                }).collect_view()}
            </div>
            <p class="field-hint">"For this browser. \"Match the system\" follows your device's light or dark setting."</p>
        </fieldset>
    }
}
