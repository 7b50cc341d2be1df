//! The tab's one WebSocket. It resumes by sequence on every (re)connect and wake-up
//! (`visibilitychange`, `online`, `pageshow`), reconnects with backoff and jitter, drops
//! duplicates by `seq`, and hands every logged event to every listener.
use crate::model::event::ServerFrame;
use leptos::prelude::*;
#[cfg(feature = "hydrate")]
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnStatus {
    Connecting,
    Live,
    Reconnecting,
    Offline,
    /// The session ended (signed out elsewhere, expired, revoked): nothing reconnects until the
    /// person signs in again; the page and its unsaved text stay.
    SignedOut,
}

impl ConnStatus {
    pub fn label(self) -> &'static str {
        match self {
            ConnStatus::Connecting => "Connecting…",
            ConnStatus::Live => "Live",
            ConnStatus::Reconnecting => "Reconnecting…",
            ConnStatus::Offline => "Offline",
            ConnStatus::SignedOut => "Signed out",
        }
    }
}

#[cfg(feature = "hydrate")]
type Listener = Rc<dyn Fn(&ServerFrame)>;

/// The real-time context, provided by the signed-in layout.
#[derive(Clone, Copy)]
pub struct Realtime {
    pub status: RwSignal<ConnStatus>,
    /// Bumped when the server answers `reset`: views refetch their data.
    pub resets: RwSignal<u64>,
    /// Bumped on every `messages_updated` and `reads_updated` (and on reset): list views that
    /// summarise messages (inbox, dashboard) refetch when it moves.
    pub messages_version: RwSignal<u64>,
    /// Bumped on every `stats_updated` / `analytics_updated` (and on reset): the dashboard's
    /// KPIs and charts refetch for the view they show.
    pub stats_version: RwSignal<u64>,
    /// Bumped on every `leads_updated` and every new lead in the feed (and on reset): lists
    /// of leads refetch when it moves.
    pub leads_version: RwSignal<u64>,
    /// Bumped on `workspace_updated` (and on reset): pages that write amounts reread the
    /// workspace's currency.
    pub workspace_version: RwSignal<u64>,
    // Browser-only: server render threads must never hold (or drop) thread-local values.
    #[cfg(feature = "hydrate")]
    /// Each with its id and whether it is still wanted (see `dispatch`).
    listeners: StoredValue<
        Vec<(u64, std::sync::Arc<std::sync::atomic::AtomicBool>, Listener)>,
        LocalStorage,
    >,
    #[cfg(feature = "hydrate")]
    next_id: StoredValue<u64>,
}

impl Realtime {
    /// Calls `listener` with every logged event, in seq order, until the calling component
    /// unmounts. Every event reaches every listener (there is no "last message" to miss).
    /// Listeners also hear `live` and the ephemeral frames (presence, typing, online).
    pub fn on_event(&self, listener: impl Fn(&ServerFrame) + 'static) {
        #[cfg(not(feature = "hydrate"))]
        let _ = listener; // no socket on the server
        #[cfg(feature = "hydrate")]
        self.add_listener(Rc::new(listener));
    }

    #[cfg(feature = "hydrate")]
    fn add_listener(&self, listener: Listener) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        self.listeners
            .update_value(|l| l.push((id, alive.clone(), listener)));
        let listeners = self.listeners;
        on_cleanup(move || {
            alive.store(false, std::sync::atomic::Ordering::Relaxed);
            listeners.try_update_value(|l| l.retain(|(i, _, _)| *i != id));
        });
    }

    #[cfg(feature = "hydrate")]
    fn dispatch(&self, frame: &ServerFrame) {
        // Copy the list first: a listener may add or remove listeners. One removed meanwhile
        // (an earlier listener's change disposed its view: a deleted lead's page) is skipped,
        // since its signals are gone.
        let listeners: Vec<(std::sync::Arc<std::sync::atomic::AtomicBool>, Listener)> = self
            .listeners
            .try_with_value(|l| l.iter().map(|(_, a, f)| (a.clone(), f.clone())).collect())
            .unwrap_or_default();
        for (alive, listener) in listeners {
            if alive.load(std::sync::atomic::Ordering::Relaxed) {
                listener(frame);
            }
        }
        if matches!(
            frame,
            ServerFrame::MessagesUpdated { .. }
                | ServerFrame::ReadsUpdated { .. }
                | ServerFrame::LeadDeleted { .. }
        ) {
            self.messages_version.update(|v| *v += 1);
        }
        if matches!(
            frame,
            ServerFrame::StatsUpdated { .. } | ServerFrame::AnalyticsUpdated { .. }
        ) {
            self.stats_version.update(|v| *v += 1);
        }
        // Leads made by an inbound message or email arrive as a feed entry.
        if matches!(
            frame,
            ServerFrame::LeadsUpdated { .. }
                | ServerFrame::LeadDeleted { .. }
                | ServerFrame::ActivityUpdated {
                    event: crate::model::activity::ActivityKind::LeadCreated,
                    ..
                }
        ) {
            self.leads_version.update(|v| *v += 1);
        }
        if matches!(frame, ServerFrame::WorkspaceUpdated { .. }) {
            self.workspace_version.update(|v| *v += 1);
        }
    }
}

/// Creates the context and, in the browser, opens the socket for as long as the caller lives.
pub fn provide_realtime() -> Realtime {
    let realtime = Realtime {
        status: RwSignal::new(ConnStatus::Connecting),
        resets: RwSignal::new(0),
        messages_version: RwSignal::new(0),
        stats_version: RwSignal::new(0),
        leads_version: RwSignal::new(0),
        workspace_version: RwSignal::new(0),
        #[cfg(feature = "hydrate")]
        listeners: StoredValue::new_local(Vec::new()),
        #[cfg(feature = "hydrate")]
        next_id: StoredValue::new(0),
    };
    provide_context(realtime);
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| untrack(|| connection::start(realtime)));
        on_cleanup(connection::stop);
    }
    realtime
}

pub fn use_realtime() -> Option<Realtime> {
    use_context::<Realtime>()
}

/// Sends `frame` on this tab's socket when it is open (ephemeral frames: lost when offline,
/// and re-sent on going live where that matters). No-op on the server.
pub fn send(frame: &crate::model::event::ClientFrame) -> bool {
    #[cfg(feature = "hydrate")]
    return connection::send_now(frame);
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = frame;
        false
    }
}

/// Whether this tab shows the dashboard: only then does the server send it the dashboard's
/// events. The dashboard page says so while it is mounted; kept across reconnects.
pub fn show_dashboard(on: bool) {
    #[cfg(feature = "hydrate")]
    connection::show_dashboard(on);
    #[cfg(not(feature = "hydrate"))]
    let _ = on;
}

#[cfg(feature = "hydrate")]
mod connection {
    use super::{ConnStatus, Realtime};
    use crate::model::event::{ClientFrame, ServerFrame};
    use gloo_timers::callback::{Interval, Timeout};
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};
    use web_sys::{CloseEvent, MessageEvent, WebSocket};

    const PING_EVERY_MS: u32 = 20_000;
    /// No answer to a ping for this long: the connection is dead even if the browser says not.
    const PONG_DEADLINE_MS: f64 = 10_000.0;
    const MAX_BACKOFF_MS: f64 = 15_000.0;

    struct Conn {
        realtime: Realtime,
        ws: Option<WebSocket>,
        /// Highest seq applied; -1 until the server tells us where "now" is.
        last_seq: i64,
        attempts: u32,
        retry: Option<Timeout>,
        _heartbeat: Option<Interval>,
        ping_sent_at: Option<f64>,
        handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    }

    type Shared = Rc<RefCell<Conn>>;

    thread_local! {
        static CURRENT: RefCell<Option<Shared>> = const { RefCell::new(None) };
        static WAKE_LISTENERS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        static DASHBOARD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    pub fn show_dashboard(on: bool) {
        if DASHBOARD.with(|d| d.replace(on)) != on {
            send_now(&ClientFrame::Dashboard { on });
        }
    }

    /// Asks for the events after `after` (saying first whether this tab shows the dashboard,
    /// so the replay includes the dashboard's events when it does).
    fn resume(ws: &WebSocket, after: i64) {
        if DASHBOARD.with(|d| d.get()) {
            send(ws, &ClientFrame::Dashboard { on: true });
        }
        send(ws, &ClientFrame::Resume { after });
    }

    pub fn start(realtime: Realtime) {
        stop();
        let conn = Rc::new(RefCell::new(Conn {
            realtime,
            ws: None,
            last_seq: initial_seq(),
            attempts: 0,
            retry: None,
            _heartbeat: None,
            ping_sent_at: None,
            handlers: Vec::new(),
        }));
        let beat = conn.clone();
        conn.borrow_mut()._heartbeat = Some(Interval::new(PING_EVERY_MS, move || heartbeat(&beat)));
        CURRENT.with(|c| *c.borrow_mut() = Some(conn.clone()));
        install_wake_listeners();
        open(&conn);
    }

    pub fn stop() {
        if let Some(conn) = CURRENT.with(|c| c.borrow_mut().take()) {
            let mut state = conn.borrow_mut();
            state.retry = None;
            state._heartbeat = None;
            if let Some(ws) = state.ws.take() {
                detach(&ws);
                let _ = ws.close();
            }
            state.handlers.clear();
        }
    }

    /// The seq the server rendered this page at: events after it are replayed on connect.
    fn initial_seq() -> i64 {
        document()
            .query_selector("meta[name=leadwire-seq]")
            .ok()
            .flatten()
            .and_then(|m| m.get_attribute("content"))
            .and_then(|c| c.parse().ok())
            .unwrap_or(-1)
    }

    fn url() -> String {
        let location = window().location();
        let scheme = if location.protocol().ok().as_deref() == Some("https:") {
            "wss"
        } else {
            "ws"
        };
        format!("{scheme}://{}/ws", location.host().unwrap_or_default())
    }

    /// Sends on the current socket if it is open; false when there is none to send on.
    pub fn send_now(frame: &ClientFrame) -> bool {
        let ws = CURRENT.with(|c| {
            c.borrow()
                .as_ref()
                .and_then(|conn| conn.borrow().ws.clone())
        });
        match ws {
            Some(ws) if ws.ready_state() == WebSocket::OPEN => {
                send(&ws, frame);
                true
            }
            _ => false,
        }
    }

    fn send(ws: &WebSocket, frame: &ClientFrame) {
        if let Ok(text) = serde_json::to_string(frame) {
            let _ = ws.send_with_str(&text);
        }
    }

    fn open(conn: &Shared) {
        let ws = match WebSocket::new(&url()) {
            Ok(ws) => ws,
            Err(_) => return schedule_retry(conn),
        };
        let on_open = {
            let conn = conn.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |_| {
                let state = conn.borrow();
                if state.last_seq >= 0 {
                    if let Some(ws) = &state.ws {
                        resume(ws, state.last_seq);
                    }
                }
            })
        };
        let on_message = {
            let conn = conn.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                if let Some(text) = event
                    .dyn_ref::<MessageEvent>()
                    .and_then(|e| e.data().as_string())
                {
                    on_frame(&conn, &text);
                }
            })
        };
        let on_close = {
            let conn = conn.clone();
            let this = ws.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                // The server closes with 1008 "session ended" the moment the session is
                // signed out, expires or is revoked: say so instead of reconnecting.
                let ended = event
                    .dyn_ref::<CloseEvent>()
                    .is_some_and(|e| e.code() == 1008 && e.reason() == "session ended");
                if ended {
                    signed_out(&conn, &this);
                } else {
                    on_closed(&conn, &this);
                }
            })
        };
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut state = conn.borrow_mut();
        state.handlers = vec![on_open, on_message, on_close];
        state.ws = Some(ws);
        state.ping_sent_at = None;
        if state.realtime.status.get_untracked() != ConnStatus::Offline {
            state.realtime.status.set(if state.attempts == 0 {
                ConnStatus::Connecting
            } else {
                ConnStatus::Reconnecting
            });
        }
    }

    fn detach(ws: &WebSocket) {
        ws.set_onopen(None);
        ws.set_onmessage(None);
        ws.set_onclose(None);
    }

    fn on_frame(conn: &Shared, text: &str) {
        let Ok(frame) = serde_json::from_str::<ServerFrame>(text) else {
            return;
        };
        let realtime = {
            let mut state = conn.borrow_mut();
            state.ping_sent_at = None;
            match &frame {
                ServerFrame::Hello { head } => {
                    if state.last_seq < 0 {
                        state.last_seq = *head;
                        if let Some(ws) = &state.ws {
                            resume(ws, *head);
                        }
                    }
                    return;
                }
                ServerFrame::Live { seq } => {
                    // Only a socket that got this far counts as a success for the backoff: a
                    // server that accepts and drops at once must not be hammered.
                    state.attempts = 0;
                    state.last_seq = state.last_seq.max(*seq);
                    state.realtime.status.set(ConnStatus::Live);
                    // Listeners hear it too: presence re-announces what this tab shows.
                    state.realtime
                }
                // Ephemeral (presence, typing, online): no seq, never replayed.
                ServerFrame::Presence { .. }
                | ServerFrame::Typing { .. }
                | ServerFrame::Online { .. } => state.realtime,
                ServerFrame::Reset { seq, .. } => {
                    state.last_seq = *seq;
                    state.realtime.resets.update(|n| *n += 1);
                    state.realtime.messages_version.update(|n| *n += 1);
                    state.realtime.stats_version.update(|n| *n += 1);
                    state.realtime.leads_version.update(|n| *n += 1);
                    state.realtime.workspace_version.update(|n| *n += 1);
                    return;
                }
                ServerFrame::Pong => return,
                // Dashboard events flow from here: what moved before, a refetch shows.
                ServerFrame::Dashboard { on } => {
                    if *on {
                        state.realtime.stats_version.update(|n| *n += 1);
                    }
                    return;
                }
                logged => {
                    let seq = logged.seq().unwrap_or(0);
                    // Replays after a wake-up may repeat what already arrived live.
                    if seq <= state.last_seq {
                        return;
                    }
                    state.last_seq = seq;
                    state.realtime
                }
            }
        };
        realtime.dispatch(&frame);
    }

    fn on_closed(conn: &Shared, closed: &WebSocket) {
        {
            let mut state = conn.borrow_mut();
            let current = state.ws.as_ref().is_some_and(|ws| ws == closed);
            if !current {
                return;
            }
            detach(closed);
            state.ws = None;
        }
        schedule_retry(conn);
    }

    fn signed_out(conn: &Shared, closed: &WebSocket) {
        let mut state = conn.borrow_mut();
        if state.ws.as_ref().is_some_and(|ws| ws == closed) {
            detach(closed);
            state.ws = None;
        }
        state.retry = None;
        state.realtime.status.set(ConnStatus::SignedOut);
    }

    fn schedule_retry(conn: &Shared) {
        let mut state = conn.borrow_mut();
        if !window().navigator().on_line() {
            // The `online` event reconnects.
            state.realtime.status.set(ConnStatus::Offline);
            return;
        }
        if state.realtime.status.get_untracked() == ConnStatus::SignedOut {
            return;
        }
        state.realtime.status.set(ConnStatus::Reconnecting);
        if state.attempts == 3 {
            // The browser hides why an upgrade failed; a session that ended while this tab
            // was away (closed laptop, expired) is the usual reason. Ask, and say so if it is:
            // the status offers sign-in, and the page keeps what was typed.
            let again = conn.clone();
            leptos::task::spawn_local(async move {
                if let Ok(None) = crate::api::auth::get_current_user().await {
                    let mut state = again.borrow_mut();
                    state.retry = None;
                    state.realtime.status.set(ConnStatus::SignedOut);
                }
            });
        }
        let base = (500.0 * 2f64.powi(state.attempts.min(10) as i32)).min(MAX_BACKOFF_MS);
        // ±30 % jitter so a restarted server is not hit by every tab at once.
        let delay = base * (0.7 + 0.6 * js_sys::Math::random());
        state.attempts += 1;
        let again = conn.clone();
        state.retry = Some(Timeout::new(delay as u32, move || open(&again)));
    }

    fn heartbeat(conn: &Shared) {
        let mut state = conn.borrow_mut();
        let Some(ws) = state.ws.clone() else { return };
        if ws.ready_state() != WebSocket::OPEN {
            return;
        }
        let now = js_sys::Date::now();
        match state.ping_sent_at {
            Some(sent) if now - sent > PONG_DEADLINE_MS => {
                // Silent death (sleeping laptop, dead NAT): a close handshake could take minutes
                // on a dead connection, so drop the socket and reconnect now.
                state.ws = None;
                drop(state);
                detach(&ws);
                let _ = ws.close();
                schedule_retry(conn);
            }
            Some(_) => {}
            None => {
                state.ping_sent_at = Some(now);
                send(&ws, &ClientFrame::Ping);
            }
        }
    }

    /// Back from hidden, offline or the back/forward cache: catch up now.
    fn wake() {
        let Some(conn) = CURRENT.with(|c| c.borrow().clone()) else {
            return;
        };
        let ws = conn.borrow().ws.clone();
        match ws {
            Some(ws) if ws.ready_state() == WebSocket::OPEN => {
                let after = conn.borrow().last_seq;
                if after >= 0 {
                    send(&ws, &ClientFrame::Resume { after });
                }
            }
            Some(ws) if ws.ready_state() == WebSocket::CONNECTING => {}
            stale => {
                if let Some(ws) = stale {
                    // Closing or closed: its handlers must not fire into the new connection.
                    detach(&ws);
                }
                {
                    let mut state = conn.borrow_mut();
                    state.ws = None;
                    state.retry = None;
                    state.attempts = 0;
                    state.realtime.status.set(ConnStatus::Connecting);
                }
                open(&conn);
            }
        }
    }

    fn went_offline() {
        let Some(conn) = CURRENT.with(|c| c.borrow().clone()) else {
            return;
        };
        let ws = {
            let mut state = conn.borrow_mut();
            state.realtime.status.set(ConnStatus::Offline);
            state.retry = None;
            state.ws.take()
        };
        if let Some(ws) = ws {
            detach(&ws);
            let _ = ws.close();
        }
    }

    fn install_wake_listeners() {
        if WAKE_LISTENERS.with(|w| w.replace(true)) {
            return;
        }
        let on = |name: &str, f: fn()| {
            let handler = Closure::<dyn FnMut(JsValue)>::new(move |_| f());
            let _ =
                window().add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
            // Lives as long as the page: the listeners look the connection up each time.
            handler.forget();
        };
        on("online", wake);
        on("pageshow", wake);
        on("offline", went_offline);
        on("visibilitychange", || {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                wake();
            }
        });
    }
}
