//! `/ws`: one socket per tab. The database is the truth, the in-process broadcast the doorbell:
//! a socket replays what it missed from the event log (by seq), then forwards live events in
//! order. A socket that falls too far behind replays from the database, or gets `reset`.
//!
//! Each socket gets only its workspace's frames (`fanout`), already encoded, written into it by
//! the fan-out itself (`live`); its task wakes for what is slow or rare (a replay, the client's
//! frames, pings, the end of its session). Its read side is a task of its own that runs only
//! when the client sends something, with a small read buffer: an idle socket costs a few KiB and
//! no CPU when other sockets are busy.
pub mod fanout;
pub mod live;
pub mod prune;

use super::auth::{Caller, Via};
use super::presence::TabGuard;
use super::revocations::Ended;
use super::state::AppState;
use super::throttle::Bucket;
use crate::model::event::{ClientFrame, ServerFrame};
use axum::extract::ws::{
    close_code, CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade,
};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use fanout::Outgoing;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use live::{Live, Work};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

/// A socket's write side, shared by its task and the fan-out (`live`).
pub type SocketSink = SplitSink<WebSocket, WsMessage>;

/// More `resume` requests than this within [`RESUME_WINDOW`] close the socket: each one costs
/// a replay from the database.
const MAX_RESUMES: u32 = 20;
const RESUME_WINDOW: Duration = Duration::from_secs(10);

/// Largest frame a client may send; anything bigger closes the socket.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// How long closing waits for the peer: to take our close frame, then to send its own.
const CLOSING: Duration = Duration::from_secs(2);
/// A replay longer than this is answered with `reset`: refetching is cheaper.
const MAX_REPLAY: i64 = 10_000;
const REPLAY_PAGE: i64 = 500;
/// The read side reads in chunks of this size (tungstenite's default, 128 KiB, was zero-filled
/// on every read and kept per socket). Client frames are a few dozen bytes (resume, view,
/// typing); a larger one still arrives whole, its room reserved from its header.
const READ_BUFFER: usize = 1024;
/// Frames are gathered in tungstenite's write buffer up to this size and written to the socket
/// at the flush, one `sendto` for a batch. With 0 (as it was) every frame was written the moment
/// it was fed, a system call each, and the batch's one flush saved nothing (`perf`: most of the
/// server's time under `sendto`). The buffer keeps the room its largest batch took, so it is
/// small: a few dozen frames of the usual size.
const WRITE_BUFFER: usize = 8 * 1024;

pub async fn upgrade(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    // Kept to re-check the session while the socket lives: sign-out or expiry ends the stream.
    let credentials = credential_headers(&headers);
    ws.max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .on_upgrade(move |socket| async move {
            // Counted open for as long as this task runs (`/metrics`).
            let _open = state.metrics.socket_opened();
            let (sink, stream) = socket.split();
            let (to_session, incoming) = mpsc::channel(16);
            let reader = ReaderTask(tokio::spawn(read_frames(stream, to_session)));
            let burst = 2.0 * f64::from(state.settings.limits.ws_frames_per_second);
            let mut session = Session {
                sink: None,
                live: Live::new(caller.user.id, sink),
                incoming,
                _reader: reader,
                state,
                caller,
                credentials,
                tab: 0,
                resume_window: (Instant::now(), 0),
                frame_budget: Bucket::full(burst, Instant::now()),
            };
            if let Err(reason) = session.run().await {
                tracing::debug!(user = %session.caller.user.id, reason, "socket closed");
            }
        })
}

/// Only the headers that authenticate the caller, copied: a header value shares the request's
/// whole read buffer (8 KiB or more), which a clone would keep for the socket's life.
fn credential_headers(headers: &HeaderMap) -> HeaderMap {
    let mut kept = HeaderMap::new();
    for name in [header::COOKIE, header::AUTHORIZATION] {
        for value in headers.get_all(&name) {
            if let Ok(mut copy) = HeaderValue::from_bytes(value.as_bytes()) {
                copy.set_sensitive(true);
                kept.append(name.clone(), copy);
            }
        }
    }
    kept
}

/// What the read side hands the session.
enum Incoming {
    Text(Utf8Bytes),
    Binary,
    /// A ping or pong: the peer is alive.
    Heard,
    /// The peer closed, or the connection ended.
    Closed,
    /// Oversized or broken frame.
    Broken,
}

/// The read side: wakes only when the client sends something.
async fn read_frames(mut stream: SplitStream<WebSocket>, to: mpsc::Sender<Incoming>) {
    while let Some(message) = stream.next().await {
        let item = match message {
            Ok(WsMessage::Text(text)) => Incoming::Text(text),
            Ok(WsMessage::Binary(_)) => Incoming::Binary,
            Ok(WsMessage::Ping(_) | WsMessage::Pong(_)) => Incoming::Heard,
            Ok(WsMessage::Close(_)) => break,
            Err(_) => {
                let _ = to.send(Incoming::Broken).await;
                return;
            }
        };
        if to.send(item).await.is_err() {
            return;
        }
    }
    let _ = to.send(Incoming::Closed).await;
}

/// Stops the read side when the session ends, however it ends.
struct ReaderTask(tokio::task::JoinHandle<()>);

impl Drop for ReaderTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Why the socket's task woke.
enum Woke {
    Incoming(Option<Incoming>),
    /// The fan-out left frames to write, or a write to finish.
    Live,
    Ended(Result<Ended, RecvError>),
    Expired,
    Ping,
}

struct Session {
    /// The write side while this task writes (`Live::checkout`); with the fan-out otherwise.
    sink: Option<SocketSink>,
    live: Arc<Live<SocketSink>>,
    incoming: mpsc::Receiver<Incoming>,
    _reader: ReaderTask,
    state: AppState,
    caller: Caller,
    credentials: HeaderMap,
    /// This socket's tab in the presence hub.
    tab: u64,
    /// Start of the current rate window for `resume`, and how many arrived in it.
    resume_window: (Instant, u32),
    /// This socket's allowance of client frames (see `on_client_frame`): `ws_frames_per_second`,
    /// twice that in a burst.
    frame_budget: Bucket,
}

// A socket's task keeps, for its whole life, room for the largest state of any await in `run`.
// The database reads (the event window, a replay, a client frame's lookups) and the rare
// snapshots are boxed where they are awaited, so an idle socket holds only what waiting needs
// (in a debug build: 2,256 bytes before, measured with `size_of_val`).
impl Session {
    async fn run(&mut self) -> Result<(), &'static str> {
        // Subscribe before reading the log, so nothing committed in between is missed.
        let workspace = self.caller.user.workspace_id;
        let _subscription = self.state.fanout.subscribe(workspace, self.live.clone());
        let live = self.live.clone();
        let mut ended = self.state.revocations.subscribe();
        // A session ends at its expiry: the socket closes then, without polling the database.
        // A token has no expiry (it ends by revocation).
        let expiry = match &self.caller.via {
            Via::Session { expires_at, .. } => Some(
                (*expires_at - super::store::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO),
            ),
            Via::Token { .. } => None,
        };
        let expired = async move {
            match expiry {
                Some(left) => tokio::time::sleep(left).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(expired);
        // This tab is online from here until the socket ends, however it ends.
        self.tab = self
            .state
            .presence
            .join(workspace, self.caller.user.id, &self.caller.user.name);
        let _leave = TabGuard {
            hub: self.state.presence.clone(),
            workspace,
            tab: self.tab,
        };
        let head = Box::pin(self.window()).await?.head;
        self.send_frame(&ServerFrame::Hello { head }).await?;
        self.checkin().await?;
        let heartbeat = Duration::from_secs(self.state.settings.ws_heartbeat_secs);
        // No frame (pongs included) for three heartbeats: the peer is gone.
        let idle_limit = heartbeat * 3;
        let mut ping = tokio::time::interval(heartbeat);
        let mut last_heard = Instant::now();
        loop {
            let woke = tokio::select! {
                incoming = self.incoming.recv() => Woke::Incoming(incoming),
                _ = live.rung() => Woke::Live,
                revoked = ended.recv() => Woke::Ended(revoked),
                _ = &mut expired => Woke::Expired,
                _ = ping.tick() => Woke::Ping,
            };
            // What writes takes the write side (`sink`, `checkout`) until `checkin`; the
            // database lookups of the rest leave it with the fan-out.
            match woke {
                Woke::Incoming(incoming) => {
                    last_heard = Instant::now();
                    match incoming {
                        Some(Incoming::Text(text)) => {
                            Box::pin(self.on_client_frame(text.as_str())).await?
                        }
                        Some(Incoming::Binary) => {
                            return self
                                .close(close_code::UNSUPPORTED, "text frames only")
                                .await;
                        }
                        Some(Incoming::Heard) => {}
                        Some(Incoming::Closed) | None => return Ok(()),
                        Some(Incoming::Broken) => {
                            return self
                                .close(close_code::SIZE, "frame too large or malformed")
                                .await;
                        }
                    }
                }
                // Written by `checkin` below.
                Woke::Live => {}
                Woke::Ended(revoked) => match revoked {
                    Ok(credential) if self.rides_on(&credential) => {
                        return self.close(close_code::POLICY, "session ended").await;
                    }
                    // Missed announcements (this socket's, or another instance's that this one
                    // did not hear): ask the database whether ours is still valid.
                    Ok(Ended::Unknown) | Err(RecvError::Lagged(_)) => {
                        if Box::pin(super::auth::authenticate(&self.state, &self.credentials))
                            .await
                            .is_err()
                        {
                            return self.close(close_code::POLICY, "session ended").await;
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Closed) => return Ok(()),
                },
                Woke::Expired => {
                    return self.close(close_code::POLICY, "session ended").await;
                }
                Woke::Ping => {
                    if last_heard.elapsed() > idle_limit {
                        return self.close(close_code::AWAY, "idle").await;
                    }
                    let limit = self.write_limit();
                    written(
                        limit,
                        self.sink()?.send(WsMessage::Ping(Default::default())),
                    )
                    .await?;
                }
            }
            self.checkin().await?;
        }
    }

    /// Takes the write side from the fan-out (if this task does not hold it already): from
    /// here until `checkin`, the fan-out queues this socket's frames.
    fn checkout(&mut self) {
        if self.sink.is_none() {
            self.sink = self.live.checkout();
        }
    }

    /// One round of what the fan-out left (its queue, or a flush it could not finish), then the
    /// write side goes back to the fan-out. When more came meanwhile, this task keeps it and
    /// its doorbell rings again: the `select!` comes first, so a flood of frames to a slow
    /// reader cannot keep a revocation, an expiry or the client's own frames waiting.
    async fn checkin(&mut self) -> Result<(), &'static str> {
        if let Some(work) = self.live.work(&mut self.sink)? {
            if let Work::Write(frames) = work {
                for frame in frames {
                    self.deliver(&frame).await?;
                }
            }
            self.flush().await?;
        }
        self.live.hand_back(&mut self.sink);
        Ok(())
    }

    /// How long a write may wait for the peer to take it: three heartbeats, as long as a peer
    /// may stay silent.
    fn write_limit(&self) -> Duration {
        Duration::from_secs(self.state.settings.ws_heartbeat_secs * 3)
    }

    /// Writes out what was fed, within the write limit.
    async fn flush(&mut self) -> Result<(), &'static str> {
        let limit = self.write_limit();
        written(limit, self.sink()?.flush()).await
    }

    /// The write side, taken from the fan-out if need be.
    fn sink(&mut self) -> Result<&mut SocketSink, &'static str> {
        self.checkout();
        self.sink.as_mut().ok_or("socket closed")
    }

    /// Whether this socket was opened with the credential that just ended.
    fn rides_on(&self, ended: &Ended) -> bool {
        match (&self.caller.via, ended) {
            (Via::Session { token_hash, .. }, Ended::Session(hash)) => token_hash == hash,
            (Via::Token { id, .. }, Ended::Token(revoked)) => id == revoked,
            (_, Ended::Workspace(deleted)) => self.caller.user.workspace_id == *deleted,
            _ => false,
        }
    }

    async fn on_client_frame(&mut self, text: &str) -> Result<(), &'static str> {
        // Every frame costs something (a lookup, a fan-out to teammates): a socket, and a user
        // across all their sockets, get a bounded rate. Past it the socket is closed, so a
        // flood costs its sender a reconnect and costs others nothing.
        let per_second = f64::from(self.state.settings.limits.ws_frames_per_second);
        let now = Instant::now();
        if self
            .frame_budget
            .take(2.0 * per_second, per_second, now)
            .is_err()
            || self
                .state
                .socket_frames
                .take(&self.caller.user.id, now)
                .is_err()
        {
            self.close(close_code::POLICY, "too many frames").await?;
            return Err("frame flood");
        }
        match serde_json::from_str::<ClientFrame>(text) {
            Ok(ClientFrame::Resume { after }) => {
                // Held from before the log is read: live frames committed meanwhile queue
                // behind the replay instead of overtaking it.
                self.checkout();
                let (started, count) = &mut self.resume_window;
                if started.elapsed() > RESUME_WINDOW {
                    *started = Instant::now();
                    *count = 0;
                }
                *count += 1;
                if *count > MAX_RESUMES {
                    self.close(close_code::POLICY, "too many resume requests")
                        .await?;
                    return Err("resume flood");
                }
                Box::pin(self.replay(after)).await?;
                let first = !self.live.resumed();
                self.live.set_resumed();
                self.send_frame(&ServerFrame::Live {
                    seq: self.live.last_sent(),
                })
                .await?;
                if first {
                    self.send_presence_snapshot().await?;
                }
                Ok(())
            }
            Ok(ClientFrame::Ping) => self.send_frame(&ServerFrame::Pong).await,
            Ok(ClientFrame::View { lead_id }) => {
                // Only a lead of the caller's workspace; anything else is ignored, not revealed.
                let lead = match lead_id {
                    Some(lead)
                        if super::leads::get(&self.state, &self.caller, lead)
                            .await
                            .is_ok() =>
                    {
                        Some(lead)
                    }
                    _ => None,
                };
                self.state
                    .presence
                    .view(self.caller.user.workspace_id, self.tab, lead);
                Ok(())
            }
            Ok(ClientFrame::Typing { lead_id }) => {
                self.state
                    .presence
                    .typing(self.caller.user.workspace_id, self.tab, lead_id);
                Ok(())
            }
            Ok(ClientFrame::Active) => {
                self.state
                    .presence
                    .active(self.caller.user.workspace_id, self.tab);
                Ok(())
            }
            Ok(ClientFrame::Dashboard { on }) => {
                self.live.set_dashboard(on);
                self.send_frame(&ServerFrame::Dashboard { on }).await
            }
            Err(_) => {
                self.close(
                    close_code::POLICY,
                    "malformed frame: expected resume, ping, view, typing, active or dashboard",
                )
                .await?;
                Err("malformed frame")
            }
        }
    }

    /// Sends every visible event after `after`, in order; `reset` when that is not possible.
    async fn replay(&mut self, after: i64) -> Result<(), &'static str> {
        let (workspace, user_id) = (self.caller.user.workspace_id, self.caller.user.id);
        // Window, count and first page come from one snapshot: pruning cannot open a gap.
        let (window, due, mut batch) = self
            .state
            .store
            .replay_start(workspace, user_id, after, MAX_REPLAY, REPLAY_PAGE)
            .await
            .map_err(db_error)?;
        if after > window.head || after < window.oldest - 1 {
            return self
                .reset(window.head, "resume point is outside the event log")
                .await;
        }
        if due > MAX_REPLAY {
            return self.reset(window.head, "too far behind").await;
        }
        let mut cursor = after;
        let dashboard = self.live.dashboard();
        loop {
            let full = batch.len() as i64 == REPLAY_PAGE;
            for event in batch {
                cursor = event.seq;
                if dashboard || !event.kind.is_dashboard() {
                    self.feed(event.payload.into()).await?;
                }
            }
            self.flush().await?;
            if !full {
                break;
            }
            batch = self
                .state
                .store
                .events_after(workspace, user_id, cursor, REPLAY_PAGE)
                .await
                .map_err(db_error)?;
        }
        self.live.sent_through(cursor.max(after));
        Ok(())
    }

    /// Writes one frame the fan-out queued (without flushing).
    async fn deliver(&mut self, frame: &Outgoing) -> Result<(), &'static str> {
        match frame {
            Outgoing::Event {
                text, published, ..
            } => {
                if self.live.take(frame) {
                    self.feed(text.clone()).await?;
                    self.state.metrics.event_sent(published.elapsed());
                }
                Ok(())
            }
            Outgoing::Ephemeral(text) => self.feed(text.clone()).await,
            Outgoing::Replay => Box::pin(self.replay(self.live.last_sent())).await,
            Outgoing::Presence => Box::pin(self.send_presence_snapshot()).await,
        }
    }

    async fn reset(&mut self, seq: i64, reason: &str) -> Result<(), &'static str> {
        self.live.reset_to(seq);
        self.send_frame(&ServerFrame::Reset {
            seq,
            reason: reason.to_string(),
        })
        .await
    }

    // `&mut self`: a shared borrow held across an await would need the socket to be Sync.
    async fn window(&mut self) -> Result<super::store::events::EventWindow, &'static str> {
        let workspace = self.caller.user.workspace_id;
        self.state.store.event_window(workspace).await.map_err(|e| {
            tracing::error!(error = %e, "reading event window");
            "database error"
        })
    }

    /// Who is online and who views which lead, as of now.
    async fn send_presence_snapshot(&mut self) -> Result<(), &'static str> {
        for frame in self.state.presence.snapshot(self.caller.user.workspace_id) {
            self.send_frame(&frame).await?;
        }
        Ok(())
    }

    async fn send_frame(&mut self, frame: &ServerFrame) -> Result<(), &'static str> {
        let text = serde_json::to_string(frame).map_err(|_| "serialise failed")?;
        self.send_text(text).await
    }

    /// Writes a frame and flushes.
    async fn send_text(&mut self, text: String) -> Result<(), &'static str> {
        let limit = self.write_limit();
        written(limit, self.sink()?.send(WsMessage::Text(text.into()))).await
    }

    /// Writes a frame without flushing (the caller flushes once for the lot).
    async fn feed(&mut self, text: Utf8Bytes) -> Result<(), &'static str> {
        let limit = self.write_limit();
        written(limit, self.sink()?.feed(WsMessage::Text(text))).await
    }

    async fn close(&mut self, code: u16, reason: &'static str) -> Result<(), &'static str> {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if let Ok(sink) = self.sink() {
            let close = sink.send(WsMessage::Close(Some(frame)));
            let _ = tokio::time::timeout(CLOSING, close).await;
        }
        // Finish the closing handshake: wait (briefly) for the peer's close, reading what it
        // still sends. Dropping the connection with unread input would make the kernel reset
        // it, and the peer might never see our close frame and its reason.
        let _ = tokio::time::timeout(CLOSING, async {
            while let Some(incoming) = self.incoming.recv().await {
                if matches!(incoming, Incoming::Closed | Incoming::Broken) {
                    break;
                }
            }
        })
        .await;
        Ok(())
    }
}

/// `write`, if the peer takes it within `limit`. A peer that stops reading (a frozen tab, a
/// client that never reads) would otherwise hold its socket's task in the write for as long as
/// it keeps the connection open — past its session's end, which the task sees only between
/// writes — with everything the fan-out queued for it.
async fn written<T>(
    limit: Duration,
    write: impl std::future::Future<Output = Result<T, axum::Error>>,
) -> Result<T, &'static str> {
    match tokio::time::timeout(limit, write).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(_)) => Err("send failed"),
        Err(_) => Err("the peer stopped reading"),
    }
}

fn db_error(e: sqlx::Error) -> &'static str {
    tracing::error!(error = %e, "reading the event log");
    "database error"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_credentials_do_not_share_the_requests_buffer() {
        // As hyper parses them: every header value a slice of one read buffer.
        let buffer = axum::body::Bytes::from(vec![b'x'; 8192]);
        let mut headers = HeaderMap::new();
        let cookie = HeaderValue::from_maybe_shared(buffer.slice(0..64)).unwrap();
        headers.insert(header::COOKIE, cookie);
        headers.insert(header::USER_AGENT, HeaderValue::from_static("test"));
        let kept = credential_headers(&headers);
        let copy = kept.get(header::COOKIE).unwrap();
        assert_eq!(copy.as_bytes(), &buffer[..64]);
        assert!(!buffer.as_ptr_range().contains(&copy.as_bytes().as_ptr()));
        assert!(copy.is_sensitive());
        assert!(kept.get(header::USER_AGENT).is_none());
    }
}
