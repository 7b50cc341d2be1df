//! The socket itself (browser only): opening it and resuming from the last applied `seq`,
//! reading frames (duplicates dropped by `seq`, a `reset` when too far behind), heartbeats,
//! reconnecting with backoff and jitter, and waking up when the tab or the network comes back.
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
                state.realtime.team_version.update(|n| *n += 1);
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
        let _ = window().add_event_listener_with_callback(name, handler.as_ref().unchecked_ref());
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
