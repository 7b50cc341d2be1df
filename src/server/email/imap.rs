//! Watching each workspace's mailbox (IMAP) for replies. One task per configured mailbox:
//! connect (TLS, STARTTLS, or plain for a local server), log in, select the folder, import
//! every message after the last one imported, then wait with IDLE (or poll where the server
//! has no IDLE) and import again when something arrives.
//!
//! Import is once and never skips: messages are taken in UID order, each through the same
//! parsing and matching as the inbound endpoint, and the mailbox's `last_uid` moves past a
//! message only after it is stored. A crash or a dropped connection in between re-fetches that
//! message, and its `Message-ID` (already in `inbound_emails`) makes the repeat a no-op. A new
//! `UIDVALIDITY` (the server renumbered the folder) starts over, with the same protection. A
//! message that cannot be read is passed over with the reason in the mailbox's health, never
//! retried forever.
use crate::model::ids::WorkspaceId;
use crate::server::email::inbound::parse;
use crate::server::state::AppState;
use crate::server::store::mailboxes::Mailbox;
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};

/// Re-issue IDLE before servers drop an idle client (RFC 2177 advises under 29 minutes).
const IDLE_RENEW: Duration = Duration::from_secs(25 * 60);
/// Without IDLE: look again this often.
const POLL_EVERY: Duration = Duration::from_secs(60);
/// Messages fetched per round trip while catching up.
const FETCH_CHUNK: usize = 25;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// A command that takes longer than this means the connection is dead.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Starts a watcher for every enabled mailbox.
pub async fn start_all(state: &AppState) {
    match state.store.enabled_mailboxes().await {
        Ok(mailboxes) => {
            for mailbox in mailboxes {
                restart(state, mailbox.workspace_id);
            }
        }
        Err(e) => tracing::error!(error = %e, "listing mailboxes to watch"),
    }
}

/// (Re)starts the watcher of `workspace` with its current settings (or stops it when it has
/// none or is switched off).
pub fn restart(state: &AppState, workspace: WorkspaceId) {
    let watcher = state.clone();
    state.mailboxes.restart(workspace, || {
        tokio::spawn(async move { watch(watcher, workspace).await })
    });
}

async fn watch(state: AppState, workspace: WorkspaceId) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let mailbox = match state.store.mailbox(workspace).await {
            Ok(Some(m)) if m.enabled => m,
            Ok(_) => return,
            Err(e) => {
                tracing::error!(error = %e, "reading a mailbox's settings");
                tokio::time::sleep(backoff).await;
                continue;
            }
        };
        let outcome = match connect_and_watch(&state, &mailbox, &mut backoff).await {
            Ok(never) => match never {},
            Err(e) => e,
        };
        tracing::warn!(workspace = %workspace.0, error = %outcome, "mailbox connection ended");
        if let Err(e) = state.store.mailbox_health(workspace, Some(&outcome)).await {
            tracing::error!(error = %e, "recording mailbox health");
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Connects as `mailbox` says and watches until something fails (the reason is returned).
async fn connect_and_watch(
    state: &AppState,
    mailbox: &Mailbox,
    backoff: &mut Duration,
) -> Result<Infallible, String> {
    let s = &mailbox.settings;
    let password = state.secrets.open(&mailbox.password_sealed).ok_or(
        "The stored password cannot be read with this server's secret key; enter it again.",
    )?;
    let address = format!("{}:{}", s.host, s.port);
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(&address))
        .await
        .map_err(|_| format!("Connecting to {address} timed out."))?
        .map_err(|e| format!("Cannot connect to {address}: {e}"))?;
    match s.security.as_str() {
        "tls" => {
            let tls = tls_connect(&s.host, tcp).await?;
            let mut client = Client::new(tls);
            greeting(&mut client).await?;
            logged_in(state, mailbox, client, &password, backoff).await
        }
        "starttls" => {
            let mut client = Client::new(tcp);
            greeting(&mut client).await?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(|e| format!("The server refused STARTTLS: {e}"))?;
            let tls = tls_connect(&s.host, client.into_inner()).await?;
            logged_in(state, mailbox, Client::new(tls), &password, backoff).await
        }
        _ => {
            let mut client = Client::new(tcp);
            greeting(&mut client).await?;
            logged_in(state, mailbox, client, &password, backoff).await
        }
    }
}

async fn tls_connect(
    host: &str,
    tcp: tokio::net::TcpStream,
) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, String> {
    let roots = tokio_rustls::rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = tokio_rustls::rustls::ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| format!("{host} is not a valid server name for TLS."))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {host} failed: {e}"))
}

async fn greeting<T>(client: &mut Client<T>) -> Result<(), String>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    match tokio::time::timeout(CONNECT_TIMEOUT, client.read_response()).await {
        Ok(Some(Ok(_))) => Ok(()),
        Ok(Some(Err(e))) => Err(format!("The server's greeting could not be read: {e}")),
        Ok(None) | Err(_) => Err("The server sent no IMAP greeting.".to_string()),
    }
}

async fn logged_in<T>(
    state: &AppState,
    mailbox: &Mailbox,
    client: Client<T>,
    password: &str,
    backoff: &mut Duration,
) -> Result<Infallible, String>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let workspace = mailbox.workspace_id;
    let mut session = client
        .login(&mailbox.settings.username, password)
        .await
        .map_err(|(e, _)| format!("Sign-in as {} failed: {e}", mailbox.settings.username))?;
    let idle = timed(session.capabilities())
        .await?
        .map_err(|e| e.to_string())?
        .has_str("IDLE");
    let selected = timed(session.select(&mailbox.settings.folder))
        .await?
        .map_err(|e| format!("Cannot open folder {}: {e}", mailbox.settings.folder))?;
    let validity = i64::from(selected.uid_validity.unwrap_or(0));
    // A renumbered folder: from the start (the Message-ID check stops repeats).
    let mut last_uid = if mailbox.uid_validity == Some(validity) {
        mailbox.last_uid
    } else {
        0
    };
    loop {
        last_uid = import_new(state, &mut session, workspace, validity, last_uid).await?;
        state
            .store
            .mailbox_health(workspace, None)
            .await
            .map_err(|e| e.to_string())?;
        // Connected and in sync: the next failure starts its backoff afresh.
        *backoff = Duration::from_secs(1);
        if idle {
            let mut handle = session.idle();
            timed(handle.init())
                .await?
                .map_err(|e| format!("IDLE failed: {e}"))?;
            let (wait, _stop) = handle.wait_with_timeout(IDLE_RENEW);
            wait.await.map_err(|e| format!("IDLE ended: {e}"))?;
            session = timed(handle.done())
                .await?
                .map_err(|e| format!("Leaving IDLE failed: {e}"))?;
        } else {
            tokio::time::sleep(POLL_EVERY).await;
            timed(session.noop())
                .await?
                .map_err(|e| format!("The connection failed: {e}"))?;
        }
        // Untagged news (EXISTS, EXPUNGE) was read by the commands above; the next fetch is
        // what counts.
        while session.unsolicited_responses.try_recv().is_ok() {}
    }
}

/// Imports every message after `last_uid`, in UID order; returns the new last UID.
async fn import_new<T>(
    state: &AppState,
    session: &mut Session<T>,
    workspace: WorkspaceId,
    validity: i64,
    mut last_uid: i64,
) -> Result<i64, String>
where
    T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    let found = timed(session.uid_search(format!("UID {}:*", last_uid + 1)))
        .await?
        .map_err(|e| format!("Searching the folder failed: {e}"))?;
    // `N:*` always matches the newest message, even one below N.
    let mut uids: Vec<u32> = found
        .into_iter()
        .filter(|&uid| i64::from(uid) > last_uid)
        .collect();
    uids.sort_unstable();
    let limit = state.settings.mail.inbound_max_bytes;
    for chunk in uids.chunks(FETCH_CHUNK) {
        let set = chunk
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // Sizes first: a message over the limit is never downloaded.
        let sizes: HashMap<u32, u32> = timed(async {
            let stream = session.uid_fetch(&set, "(UID RFC822.SIZE)").await?;
            stream.try_collect::<Vec<_>>().await
        })
        .await?
        .map_err(|e| format!("Fetching message sizes failed: {e}"))?
        .iter()
        .filter_map(|f| Some((f.uid?, f.size?)))
        .collect();
        let wanted: Vec<u32> = chunk
            .iter()
            .copied()
            .filter(|uid| sizes.get(uid).is_none_or(|&size| size as usize <= limit))
            .collect();
        let mut bodies: HashMap<u32, Vec<u8>> = HashMap::new();
        if !wanted.is_empty() {
            let set = wanted
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let fetched = timed(async {
                let stream = session.uid_fetch(&set, "(UID BODY.PEEK[])").await?;
                stream.try_collect::<Vec<_>>().await
            })
            .await?
            .map_err(|e| format!("Fetching messages failed: {e}"))?;
            for f in &fetched {
                if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                    bodies.insert(uid, body.to_vec());
                }
            }
        }
        for &uid in chunk {
            let problem = match bodies.get(&uid) {
                Some(raw) => take(state, workspace, raw).await?,
                None if !wanted.contains(&uid) => Some(format!(
                    "Message {uid} is larger than {limit} bytes (inbound_email_max_bytes): not imported."
                )),
                // Expunged between the search and the fetch: nothing to take.
                None => None,
            };
            if let Some(problem) = problem {
                tracing::warn!(workspace = %workspace.0, uid, problem, "mailbox message passed over");
                state
                    .store
                    .mailbox_health(workspace, Some(&problem))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            last_uid = i64::from(uid);
            state
                .store
                .mailbox_imported(workspace, validity, last_uid)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(last_uid)
}

/// Takes one raw message as the inbound endpoint does. `Ok(Some(reason))`: passed over (it is
/// not a readable email); `Err`: the store failed, so the import stops before moving past it.
async fn take(
    state: &AppState,
    workspace: WorkspaceId,
    raw: &[u8],
) -> Result<Option<String>, String> {
    let email = match parse(raw) {
        Ok(email) => email,
        Err(why) => return Ok(Some(format!("A message was passed over: {why}"))),
    };
    let stored = match &email.bounce {
        Some(bounce) => state
            .store
            .email_bounced(workspace, &bounce.original, &bounce.reason)
            .await
            .map(|_| ()),
        None => state
            .store
            .receive_email(workspace, &email)
            .await
            .map(|_| ()),
    };
    stored.map_err(|e| format!("Storing a message failed: {e}"))?;
    Ok(None)
}

/// `future`, or an error when the server does not answer in time.
async fn timed<F: std::future::Future>(future: F) -> Result<F::Output, String> {
    tokio::time::timeout(COMMAND_TIMEOUT, future)
        .await
        .map_err(|_| "The server stopped answering.".to_string())
}
