//! Where the reader is in a thread's scroll box: it follows new messages while the reader is at
//! the bottom, counts the ones that arrive while they read further up ("↓ 2 new messages"), and
//! keeps their place when older messages load above them.
use leptos::html;
use leptos::prelude::*;

/// Within this many pixels of the end counts as "at the bottom".
const BOTTOM_SLACK_PX: i32 = 48;

#[derive(Clone, Copy)]
pub struct ThreadScroll {
    pub node: NodeRef<html::Div>,
    at_bottom: RwSignal<bool>,
    /// Messages that arrived while the reader was further up.
    unseen: RwSignal<usize>,
}

impl ThreadScroll {
    /// At the bottom, nothing unseen.
    pub fn new() -> Self {
        ThreadScroll {
            node: NodeRef::new(),
            at_bottom: RwSignal::new(true),
            unseen: RwSignal::new(0),
        }
    }

    /// Scrolls to the end whenever what `changes` tracks changes, while the reader is there.
    pub fn follow_changes(self, changes: impl Fn() + 'static) {
        Effect::new(move |_| {
            changes();
            if self.at_bottom.get_untracked() {
                self.to_bottom();
            }
        });
    }

    /// The scroll box moved: at the bottom again, everything is seen.
    pub fn moved(self) {
        if let Some(el) = self.node.get_untracked() {
            let bottom =
                el.scroll_height() - el.scroll_top() - el.client_height() < BOTTOM_SLACK_PX;
            self.at_bottom.set(bottom);
            if bottom {
                self.unseen.set(0);
            }
        }
    }

    /// A message arrived: counted as unseen unless the reader is at the bottom.
    pub fn arrived(self) {
        if !self.at_bottom.get_untracked() {
            self.unseen.update(|n| *n += 1);
        }
    }

    /// The reader's own send: show it, wherever they were.
    pub fn follow(self) {
        self.at_bottom.set(true);
    }

    pub fn to_bottom(self) {
        if let Some(el) = self.node.get_untracked() {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    }

    /// Call before the list grows above the reader; the returned function, called once it has
    /// grown, scrolls by the growth so the reader stays where they were.
    pub fn keep_place(self) -> impl FnOnce() + 'static {
        let before = self
            .node
            .get_untracked()
            .map(|el| el.scroll_height())
            .unwrap_or(0);
        move || {
            if let Some(el) = self.node.get_untracked() {
                request_animation_frame(move || {
                    el.set_scroll_top(el.scroll_top() + el.scroll_height() - before);
                });
            }
        }
    }
}

impl Default for ThreadScroll {
    fn default() -> Self {
        Self::new()
    }
}

/// "↓ 2 new messages": shown while messages arrived below the reader; jumps to them.
#[component]
pub fn NewMessagesPill(scroll: ThreadScroll) -> impl IntoView {
    let unseen = scroll.unseen;
    let jump = move |_| {
        scroll.at_bottom.set(true);
        unseen.set(0);
        scroll.to_bottom();
    };
    view! {
        <Show when=move || { unseen.get() > 0 }>
            <button type="button" class="new-pill" on:click=jump>
                {move || format!("↓ {} new message{}", unseen.get(), if unseen.get() == 1 { "" } else { "s" })}
            </button>
        </Show>
    }
}
