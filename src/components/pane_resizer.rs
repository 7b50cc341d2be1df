//! The handle between the inbox's conversation list and the open thread on wide screens: drag
//! it, or focus it and press ←/→ (Home/End for the narrowest and widest), to make the list
//! narrower or wider. The width is kept in this browser and applied once the page is live (the
//! server draws the default, so hydration matches).
use crate::client::storage;
use leptos::prelude::*;

pub const MIN_WIDTH: i32 = 280;
pub const MAX_WIDTH: i32 = 720;
const STEP: i32 = 24;
const KEY: &str = "leadwire.inbox.list_width";

/// The list's width in pixels, once the user has set one.
pub fn use_list_width() -> RwSignal<Option<i32>> {
    let width = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(kept) = storage::get(KEY).and_then(|v| v.parse::<i32>().ok()) {
            width.set(Some(kept.clamp(MIN_WIDTH, MAX_WIDTH)));
        }
    });
    width
}

/// Where the list's left edge is and how wide it is, in the browser.
fn bounds(list: NodeRef<leptos::html::Section>) -> Option<(f64, f64)> {
    #[cfg(feature = "hydrate")]
    {
        let rect = list.get_untracked()?.get_bounding_client_rect();
        Some((rect.left(), rect.width()))
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = list;
        None
    }
}

/// `--list-width` for the layout's grid, when set.
pub fn list_width_style(width: RwSignal<Option<i32>>) -> impl Fn() -> Option<String> {
    move || width.get().map(|w| format!("--list-width: {w}px"))
}

#[component]
pub fn PaneResizer(
    width: RwSignal<Option<i32>>,
    /// The list whose width this sets (its left edge anchors a drag).
    list: NodeRef<leptos::html::Section>,
) -> impl IntoView {
    let handle = NodeRef::<leptos::html::Div>::new();
    let dragging = RwSignal::new(false);
    let set = move |w: i32| {
        let w = w.clamp(MIN_WIDTH, MAX_WIDTH);
        width.set(Some(w));
        storage::set(KEY, &w.to_string());
    };
    // The width as drawn now (the default until the user moves the handle).
    let current = move || {
        width
            .get_untracked()
            .or_else(|| bounds(list).map(|(_, w)| w as i32))
            .unwrap_or(MIN_WIDTH)
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let next = match ev.key().as_str() {
            "ArrowLeft" => current() - STEP,
            "ArrowRight" => current() + STEP,
            "Home" => MIN_WIDTH,
            "End" => MAX_WIDTH,
            _ => return,
        };
        ev.prevent_default();
        set(next);
    };
    let on_down = move |ev: leptos::ev::PointerEvent| {
        ev.prevent_default();
        dragging.set(true);
        if let Some(el) = handle.get_untracked() {
            let _ = el.set_pointer_capture(ev.pointer_id());
        }
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        if !dragging.get_untracked() {
            return;
        }
        if let Some((left, _)) = bounds(list) {
            set((f64::from(ev.client_x()) - left) as i32);
        }
    };
    let on_up = move |_| dragging.set(false);
    view! {
        <div class="pane-resizer" node_ref=handle role="separator" tabindex="0"
            aria-orientation="vertical" aria-label="Width of the conversation list"
            aria-valuemin=MIN_WIDTH aria-valuemax=MAX_WIDTH aria-valuenow=move || width.get()
            class:dragging=move || dragging.get()
            data-testid="pane-resizer"
            on:keydown=on_key on:pointerdown=on_down on:pointermove=on_move
            on:pointerup=on_up on:pointercancel=on_up>
        </div>
    }
}
