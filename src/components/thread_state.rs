//! The message list of one lead's thread as it lives in the browser (`use_thread`): the page
//! the server sent, the frames that committed while that page was loading (re-applied by seq),
//! live frames after it, and older pages on demand. The thread's views, its send queue and its
//! read marker share it through one `Copy` handle.
use crate::api::messages::older_messages;
use crate::client::realtime::use_realtime;
use crate::model::event::ServerFrame;
use crate::model::ids::{LeadId, MessageId, UserId};
use crate::model::message::{Direction, Message, MessagePage};
use crate::model::thread::upsert;
use leptos::prelude::*;

/// How many recent frames of a lead a thread keeps for re-applying after a (re)load.
const RECENT_FRAMES: usize = 500;

/// A lead's frames, kept from before its thread's data arrives: events that commit while the
/// data is in flight are re-applied to it (by seq) when it lands.
#[derive(Clone, Copy)]
pub struct RecentFrames(StoredValue<Vec<ServerFrame>>);

impl RecentFrames {
    /// Starts keeping `lead_id`'s frames; call before requesting the thread's data.
    pub fn keep(lead_id: LeadId) -> Self {
        let recent = StoredValue::new(Vec::<ServerFrame>::new());
        if let Some(realtime) = use_realtime() {
            realtime.on_event(move |frame| {
                if concerns(frame, lead_id) {
                    recent.update_value(|r| {
                        r.push(frame.clone());
                        if r.len() > RECENT_FRAMES {
                            r.drain(..r.len() - RECENT_FRAMES);
                        }
                    });
                }
            });
        }
        RecentFrames(recent)
    }
}

fn concerns(frame: &ServerFrame, lead_id: LeadId) -> bool {
    match frame {
        ServerFrame::MessagesUpdated { message, .. } => message.lead_id == lead_id,
        ServerFrame::DraftsUpdated { lead_id: id, .. } => *id == lead_id,
        // Any thread may show their messages.
        ServerFrame::MemberRenamed { .. } => true,
        _ => false,
    }
}

/// One lead's messages, oldest first, and how to page further back.
#[derive(Clone, Copy)]
pub struct ThreadState {
    pub lead_id: LeadId,
    pub messages: RwSignal<Vec<Message>>,
    /// Older messages exist before the first one loaded.
    pub has_more: RwSignal<bool>,
    pub loading_older: RwSignal<bool>,
}

/// The thread of `lead_id` from `page` (read at event-log position `loaded_seq`): the frames
/// `recent` kept that are newer than the page are applied first, then live ones. Each frame of
/// this lead goes to `on_frame` after the list took it, with whether it added a message (a
/// message frame) — the draft, the collision guard and the unseen count follow from there.
pub fn use_thread(
    lead_id: LeadId,
    page: MessagePage,
    loaded_seq: i64,
    recent: RecentFrames,
    on_frame: impl Fn(&ServerFrame, bool) + 'static,
) -> ThreadState {
    let thread = ThreadState {
        lead_id,
        messages: RwSignal::new(page.messages),
        has_more: RwSignal::new(page.has_more),
        loading_older: RwSignal::new(false),
    };
    let apply = move |frame: &ServerFrame| {
        if !concerns(frame, lead_id) {
            return;
        }
        let added = match frame {
            ServerFrame::MessagesUpdated { message, .. } => thread.upsert(message.clone()),
            ServerFrame::MemberRenamed { user_id, name, .. } => {
                thread.rename_author(*user_id, name);
                false
            }
            _ => false,
        };
        on_frame(frame, added);
    };
    // Catch up on what happened while the data was loading, then follow live.
    for frame in recent.0.get_value() {
        if frame.seq().is_some_and(|seq| seq > loaded_seq) {
            apply(&frame);
        }
    }
    if let Some(realtime) = use_realtime() {
        realtime.on_event(apply);
    }
    thread
}

impl ThreadState {
    /// Inserts or replaces by id, keeping time order; true when it was new.
    pub fn upsert(self, message: Message) -> bool {
        let mut inserted = false;
        self.messages
            .update(|list| inserted = upsert(list, message));
        inserted
    }

    /// Shows `name` on the messages `user` wrote (they renamed themselves).
    pub fn rename_author(self, user: UserId, name: &str) {
        let theirs = |m: &Message| m.author_id == Some(user);
        if self.messages.with_untracked(|list| list.iter().any(theirs)) {
            self.messages.update(|list| {
                for m in list.iter_mut().filter(|m| theirs(m)) {
                    m.author_name = Some(name.to_string());
                }
            });
        }
    }

    /// The newest message's id, or "start" for an empty thread: what a send says it answers
    /// (the server's collision guard compares it with the thread's newest).
    pub fn newest_id(self) -> String {
        self.messages
            .with_untracked(|m| m.last().map(|m| m.id.to_string()))
            .unwrap_or_else(|| "start".into())
    }

    /// The newest message the lead sent (tracked: effects re-run when it changes).
    pub fn newest_inbound(self) -> Option<MessageId> {
        self.messages.with(|m| newest_inbound(m))
    }

    pub fn newest_inbound_untracked(self) -> Option<MessageId> {
        self.messages.with_untracked(|m| newest_inbound(m))
    }

    pub fn find(self, id: MessageId) -> Option<Message> {
        self.messages
            .with_untracked(|m| m.iter().find(|m| m.id == id).cloned())
    }

    /// Loads the page before the oldest message loaded. `grew` runs once the older messages
    /// are in (the view keeps the reader's place); a failure goes to `on_error`.
    pub fn load_older(
        self,
        grew: impl FnOnce() + 'static,
        on_error: impl FnOnce(String) + 'static,
    ) {
        let Some(first) = self.messages.with_untracked(|m| m.first().map(|m| m.id)) else {
            return;
        };
        self.loading_older.set(true);
        leptos::task::spawn_local(async move {
            match older_messages(self.lead_id, first).await {
                Ok(page) => {
                    self.has_more.set(page.has_more);
                    self.messages.update(|m| {
                        let mut older = page.messages;
                        older.retain(|o| !m.iter().any(|x| x.id == o.id));
                        older.append(m);
                        *m = older;
                    });
                    grew();
                }
                Err(e) => on_error(e.to_string()),
            }
            self.loading_older.set(false);
        });
    }
}

fn newest_inbound(messages: &[Message]) -> Option<MessageId> {
    messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Inbound)
        .map(|m| m.id)
}
