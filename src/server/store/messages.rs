//! Messages of a lead's timeline. Over 400 lines because recording a message (`record_in`:
//! the one read and the one multi-statement script of a send, then what its channel queues)
//! is one write in the order it runs; split, one transaction would be spread over files.
use super::activity::NewActivity;
use super::db::{on_conn, on_db, pg_sql, Backend, Conn};
use super::deliveries::NewDelivery;
use super::emails::NewEmail;
use super::events::{LoggedEvent, Pending};
use super::message_rows::{message_in, message_select, MessageRow};
use super::rollups::{Delta, MessageFacts, MESSAGE_FACTS};
use super::script::Script;
use super::writer::FirstReadArgs;
use super::{now, Store};
use crate::model::activity::ActivityKind;
use crate::model::channel::Channel;
use crate::model::event::{RowAction, ServerFrame};
use crate::model::ids::{LeadId, MessageId, UserId, WorkspaceId};
use crate::model::message::{AttachmentMeta, Direction, Message, MessageFields, MessageStatus};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, Encode, Type};
use std::sync::LazyLock;
use uuid::Uuid;

/// A message to store as it is: the demo seed's history, written before the server serves
/// anyone. It takes no seq from the workspace's event head, so a live path must not use it (a
/// page cached under the head, `server::inbox_cache`, would not see it): sends, webhooks and
/// received email go through [`Store::record_message`], `receive_channel_message` and
/// `receive_email`.
pub struct NewMessage<'a> {
    pub lead_id: LeadId,
    pub direction: Direction,
    pub channel: Channel,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    pub status: &'a str,
    pub author_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// The outcome of [`Store::record_message`].
pub enum Recorded {
    Created(Message),
    /// The `client_id` was used before: this is the original message.
    Existing(Message),
}

/// A lead with its most recent message, for the inbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LatestMessage {
    pub lead_id: LeadId,
    pub lead_name: String,
    pub company: Option<String>,
    pub stage: String,
    pub owner_name: Option<String>,
    pub direction: String,
    pub channel: String,
    pub subject: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// Inbound messages the asking user has not read.
    pub unread: i64,
}

impl Store {
    /// Stores `m` as it is, with no event or feed entry (the caller derives those afterwards,
    /// see [`Store::recompute_turns`]); the dashboard rollups count it. Nothing is delivered:
    /// an outbound message "sent" this way (demo history) is marked as the outbox's or the
    /// sandbox's, so the thread never passes it off as really sent.
    pub async fn insert_message(
        &self,
        workspace: WorkspaceId,
        m: &NewMessage<'_>,
    ) -> Result<MessageId, sqlx::Error> {
        let id = MessageId::new_ordered();
        let mut tx = self.begin_write().await?;
        let (lead_last, channel_last): (Option<DateTime<Utc>>, Option<DateTime<Utc>>) =
            on_conn!(tx, |c, sql| sqlx::query_as(sql(
                "SELECT (SELECT last_message_at FROM leads WHERE id = ?1), \
                 (SELECT last_message_at FROM lead_channels WHERE lead_id = ?1 AND channel = ?2)",
            ))
            .bind(m.lead_id)
            .bind(m.channel.as_str())
            .fetch_one(c)
            .await)?;
        let facts: MessageFacts = on_conn!(tx, |c, sql| {
            sqlx::query_as(sql(&format!(
            "INSERT INTO messages (id, workspace_id, lead_id, direction, channel, subject, body, status, \
             author_id, created_at, delivered_via) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {MESSAGE_FACTS}"
        )))
        .bind(id)
        .bind(workspace)
        .bind(m.lead_id)
        .bind(m.direction.as_str())
        .bind(m.channel.as_str())
        .bind(m.subject)
        .bind(m.body)
        .bind(m.status)
        .bind(m.author_id)
        .bind(m.created_at)
        .bind(match (m.direction, m.channel) {
            (Direction::Outbound, Channel::Email) => Some("outbox"),
            (Direction::Outbound, Channel::Chat) => Some(HELD),
            (Direction::Inbound, _) => None,
            (Direction::Outbound, _) => Some("sandbox"),
        })
        .fetch_one(c)
        .await
        })?;
        let mut rollups = Delta::default();
        rollups.message_inserted(&facts, lead_last, channel_last);
        rollups.apply(tx.reborrow()).await?;
        tx.commit(Vec::new()).await?;
        Ok(id)
    }

    /// Marks an outbound email stored by [`Store::insert_message`] opened by a person at `at`
    /// (demo history: its receipt, and the dashboard's opens, as a real open would count).
    pub async fn insert_open(
        &self,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        use super::rollups::{message_changed_in, message_facts_in};
        let mut tx = self.begin_write().await?;
        let before = message_facts_in(tx.reborrow(), message).await?;
        let after = on_conn!(tx, |c, sql| {
            sqlx::query_as(sql(&format!(
            "UPDATE messages SET opened_at = ? WHERE id = ? AND direction = 'outbound' AND channel = 'email' \
             RETURNING {MESSAGE_FACTS}"
        )))
        .bind(at)
        .bind(message)
        .fetch_optional(c)
        .await
        })?;
        message_changed_in(tx.reborrow(), before, after).await?;
        tx.commit(Vec::new()).await?;
        Ok(())
    }

    /// Up to `limit` messages of a lead before message `before` (or the newest), oldest first,
    /// and whether older ones exist.
    pub async fn lead_messages(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
        before: Option<MessageId>,
        limit: i64,
    ) -> Result<(Vec<Message>, bool), sqlx::Error> {
        let mut sql = format!(
            "{} WHERE m.workspace_id = ? AND m.lead_id = ?",
            message_select(self.backend())
        );
        if before.is_some() {
            sql.push_str(
                " AND (m.created_at, m.id) < (SELECT created_at, id FROM messages \
                 WHERE id = ? AND workspace_id = ? AND lead_id = ?)",
            );
        }
        sql.push_str(" ORDER BY m.created_at DESC, m.id DESC LIMIT ?");
        let mut rows = on_db!(self.db(), |p, fit| {
            let mut query = sqlx::query_as::<_, MessageRow>(fit(&sql))
                .bind(workspace)
                .bind(lead);
            if let Some(before) = before {
                query = query.bind(before).bind(workspace).bind(lead);
            }
            // One extra row tells whether there is more.
            query.bind(limit + 1).fetch_all(p).await
        })?;
        let has_more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        rows.reverse();
        Ok((rows.into_iter().map(Into::into).collect(), has_more))
    }

    /// Stores a sent or received message, deletes the sender's draft for the lead, and logs both,
    /// in one write. A `client_id` seen before returns the original message instead.
    ///
    /// The hot path of every send: two round trips to SQLite for a chat message (one read of
    /// everything it needs, then every write in one [`Script`]; the message, the feed entry
    /// and the events are built here, not read back).
    ///
    /// The send runs detached (see `Store::detached`): to its end, and on SQLite without hopping
    /// to other tasks while it holds the writer every other write waits for.
    pub async fn record_message(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
        author: Option<UserId>,
        fields: &MessageFields,
        outbound: Option<&Outbound>,
    ) -> Result<Recorded, sqlx::Error> {
        // Owned, to run detached; the work below is the whole send.
        let store = self.clone();
        let fields = fields.clone();
        let outbound = outbound.cloned();
        self.detached(async move {
            // The prelude's read travels with the write's savepoint (one hand-off fewer).
            let key = PreludeKey::new(workspace, lead, author, &fields);
            let (mut tx, prelude, created_at) = store
                .begin_write_reading(record_prelude(store.backend()), move || {
                    let created_at = now();
                    (key.at(created_at), created_at)
                })
                .await?;
            let (recorded, events, script) = record_after(
                tx.reborrow(),
                created_at,
                prelude,
                workspace,
                lead,
                author,
                &fields,
                outbound.as_ref(),
                EmailExtras::default(),
            )
            .await?;
            // An existing message may still be in the batch being built: answer once it is on
            // disk.
            tx.commit_script(script, events).await?;
            Ok(recorded)
        })
        .await
    }
}

/// Everything a send reads, in one statement, binding ?1 the new message's time, ?2 the lead,
/// ?3 the workspace, ?4 the client id, ?5 the author, ?6 the channel, ?7 the direction: the
/// message a repeated client id already made, the lead's and the author's names, the direction
/// of the lead's newest message that is not an automatic reply (for the turn facts), the times
/// of the lead's newest message overall and on the channel (for the dashboard's active
/// conversations), the response time if this message answers the lead's run, the workspace's
/// last event seq and feed number, and whether the author has a draft to clear. Under the
/// writer none of it can change before the write's script runs.
fn record_prelude(b: Backend) -> &'static str {
    static SQLITE: LazyLock<String> = LazyLock::new(|| record_prelude_for(Backend::Sqlite));
    static POSTGRES: LazyLock<String> = LazyLock::new(|| record_prelude_for(Backend::Postgres));
    match b {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

fn record_prelude_for(b: Backend) -> String {
    format!(
        "SELECT \
         (SELECT id FROM messages WHERE workspace_id = ?3 AND client_id = ?4), \
         (SELECT name FROM leads WHERE id = ?2 AND workspace_id = ?3), \
         (SELECT name FROM users WHERE id = ?5), \
         (SELECT direction FROM messages WHERE lead_id = ?2 AND auto_reply = FALSE \
          ORDER BY created_at DESC, id DESC LIMIT 1), \
         (SELECT last_message_at FROM leads WHERE id = ?2), \
         (SELECT last_message_at FROM lead_channels WHERE lead_id = ?2 AND channel = ?6), \
         CASE WHEN ?7 = 'outbound' THEN {} END, \
         (SELECT head FROM workspace_event_heads WHERE workspace_id = ?3), \
         (SELECT COALESCE(MAX(number), 0) FROM activities WHERE workspace_id = ?3), \
         EXISTS (SELECT 1 FROM message_drafts WHERE workspace_id = ?3 AND user_id = ?5 AND lead_id = ?2)",
        super::turns::response_secs(b)
    )
}
type Prelude = (
    Option<MessageId>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i64>,
    Option<i64>,
    i64,
    bool,
);

/// `delivered_via` of a website-chat message: kept here, shown to no visitor (no widget yet).
const HELD: &str = "held";

/// The message row with its turn facts.
const INSERT_MESSAGE: &str = "INSERT INTO messages (created_at, lead_id, id, workspace_id, \
     direction, channel, subject, body, status, author_id, client_id, opens_turn, auto_reply, \
     delivered_via, response_secs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// What a received email adds to its message (its caller stores the email beside it).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct EmailExtras<'a> {
    /// The quoted history cut off its body.
    pub quoted: Option<&'a str>,
    /// An out-of-office or other automatic answer: no reply, no turn, no response time.
    pub auto_reply: bool,
    pub attachments: &'a [AttachmentMeta],
    pub has_html: bool,
    pub omitted: &'a [String],
}

/// How an outbound message leaves: queued as an email, or queued for a provider channel's
/// connection (Twilio, the sandbox). Without one (website chat) it is sent as it is stored.
#[derive(Clone)]
pub enum Outbound {
    Email(NewEmail),
    Channel(NewDelivery),
}

/// [`Store::record_message`] inside the caller's write: the outcome, and the events to publish
/// with the commit (none for an existing message).
pub(super) async fn record_in(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    lead: LeadId,
    author: Option<UserId>,
    fields: &MessageFields,
    outbound: Option<&Outbound>,
    received: EmailExtras<'_>,
) -> Result<(Recorded, Vec<LoggedEvent>), sqlx::Error> {
    let created_at = now();
    let args = PreludeKey::new(workspace, lead, author, fields).at(created_at);
    let prelude: Prelude = match tx.reborrow() {
        Conn::Sqlite(c) => {
            sqlx::query_as_with(record_prelude(Backend::Sqlite), args.sqlite())
                .fetch_one(c)
                .await?
        }
        Conn::Postgres(c) => {
            sqlx::query_as_with(pg_sql(record_prelude(Backend::Postgres)), args.postgres())
                .fetch_one(c)
                .await?
        }
    };
    let (recorded, mut events, script) = record_after(
        tx.reborrow(),
        created_at,
        prelude,
        workspace,
        lead,
        author,
        fields,
        outbound,
        received,
    )
    .await?;
    let positions = script.fetch_all(tx).await?;
    super::events::place(&mut events, positions);
    Ok((recorded, events))
}

/// What [`record_prelude`] is asked about, owned (the send path builds its values in the
/// writer's task).
#[derive(Clone, Copy)]
struct PreludeKey {
    workspace: WorkspaceId,
    lead: LeadId,
    author: Option<UserId>,
    client_id: Uuid,
    channel: &'static str,
    direction: &'static str,
}

impl PreludeKey {
    fn new(
        workspace: WorkspaceId,
        lead: LeadId,
        author: Option<UserId>,
        fields: &MessageFields,
    ) -> Self {
        PreludeKey {
            workspace,
            lead,
            author,
            client_id: fields.client_id,
            channel: fields.channel.as_str(),
            direction: fields.direction.as_str(),
        }
    }

    /// The prelude's parameters for a message made at `created_at`.
    fn at(self, created_at: DateTime<Utc>) -> PreludeArgs {
        PreludeArgs {
            key: self,
            created_at,
        }
    }
}

/// [`record_prelude`]'s numbered parameters, ?1 the new message's time.
struct PreludeArgs {
    key: PreludeKey,
    created_at: DateTime<Utc>,
}

impl PreludeArgs {
    /// The seven values, in order, into either backend's arguments.
    fn add_to<'q, A>(self, args: &mut A) -> Result<(), sqlx::error::BoxDynError>
    where
        A: Arguments<'q>,
        DateTime<Utc>: Encode<'q, A::Database> + Type<A::Database>,
        LeadId: Encode<'q, A::Database> + Type<A::Database>,
        WorkspaceId: Encode<'q, A::Database> + Type<A::Database>,
        Uuid: Encode<'q, A::Database> + Type<A::Database>,
        Option<UserId>: Encode<'q, A::Database> + Type<A::Database>,
        &'static str: Encode<'q, A::Database> + Type<A::Database>,
    {
        let k = self.key;
        args.add(self.created_at)?;
        args.add(k.lead)?;
        args.add(k.workspace)?;
        args.add(k.client_id)?;
        args.add(k.author)?;
        args.add(k.channel)?;
        args.add(k.direction)
    }
}

impl FirstReadArgs for PreludeArgs {
    fn sqlite(self) -> SqliteArguments<'static> {
        let mut args = SqliteArguments::default();
        // Adding to SQLite's arguments only stores the value: it cannot fail.
        self.add_to(&mut args)
            .expect("an SQLite argument is stored, not encoded");
        args
    }

    fn postgres(self) -> PgArguments {
        let mut args = PgArguments::default();
        self.add_to(&mut args)
            .expect("ids, a time and text always encode");
        args
    }
}

/// [`record_in`] once its prelude is read: the outcome, its events, and the script that still
/// has to run for them (its rows are the events' log positions; see `events::place`), left to
/// the caller so that it can go with the write's commit.
#[allow(clippy::too_many_arguments)]
async fn record_after<'f>(
    mut tx: Conn<'_>,
    created_at: DateTime<Utc>,
    prelude: Prelude,
    workspace: WorkspaceId,
    lead: LeadId,
    author: Option<UserId>,
    fields: &'f MessageFields,
    outbound: Option<&Outbound>,
    received: EmailExtras<'_>,
) -> Result<(Recorded, Vec<LoggedEvent>, Script<'f>), sqlx::Error> {
    let (
        existing,
        lead_name,
        author_name,
        previous,
        lead_last,
        channel_last,
        answer_secs,
        event_head,
        feed_number,
        has_draft,
    ) = prelude;
    if let Some(existing) = existing {
        let existing = message_in(tx.reborrow(), existing).await?;
        return Ok((
            Recorded::Existing(existing),
            Vec::new(),
            Script::for_conn(&tx),
        ));
    }
    let Some(lead_name) = lead_name else {
        return Err(sqlx::Error::RowNotFound);
    };
    let id = MessageId::new_ordered();
    // Email and the provider channels wait for their delivery workers; chat is sent as stored.
    let status = match (fields.direction, outbound.is_some()) {
        (Direction::Inbound, _) => MessageStatus::Received,
        (Direction::Outbound, true) => MessageStatus::Queued,
        (Direction::Outbound, false) => MessageStatus::Sent,
    };
    // Website chat has no widget to show it yet: it is kept here, and says so.
    let held = (fields.direction == Direction::Outbound && fields.channel == Channel::Chat)
        .then_some(HELD);
    // The turn facts go in with the row (one write, and the rollups count it once).
    let turn = super::turns::new_turn(fields.direction, previous.as_deref());
    let response_secs = if turn.timed { answer_secs } else { None };
    // Fused on PostgreSQL (one round trip under the write lock): the message, its rollups,
    // the draft's delete, the feed entry, the seqs taken and the events each write rows no
    // other statement of it reads or writes (the feed entry's reference to the message is
    // checked at the statement's end).
    let mut script = Script::for_conn(&tx).fused();
    script
        .push(INSERT_MESSAGE)
        .bind(created_at)
        .bind(lead)
        .bind(id)
        .bind(workspace)
        .bind(fields.direction.as_str())
        .bind(fields.channel.as_str())
        .bind(&fields.subject)
        .bind(&fields.body)
        .bind(status)
        .bind(author)
        .bind(fields.client_id)
        .bind(turn.opens_turn)
        .bind(received.auto_reply)
        .bind(held)
        .bind(response_secs);
    // What needs the message row first runs after it; a chat message needs none of it.
    let replies = !received.auto_reply
        && super::turns::answers_our_run(fields.direction, previous.as_deref());
    if outbound.is_some() || !fields.attachments.is_empty() || replies {
        std::mem::replace(&mut script, Script::for_conn(&tx).fused())
            .execute(tx.reborrow())
            .await?;
    }
    match outbound {
        Some(Outbound::Email(email)) => {
            super::emails::insert_in(tx.reborrow(), workspace, lead, id, email).await?
        }
        Some(Outbound::Channel(delivery)) => {
            super::deliveries::queue_in(tx.reborrow(), workspace, id, delivery).await?
        }
        None => {}
    }
    // Files sent with it (checked by the caller), kept beside it like received ones.
    let sent_files = if fields.attachments.is_empty() {
        Vec::new()
    } else {
        super::uploads::attach_in(tx.reborrow(), workspace, id, &fields.attachments).await?
    };
    let mut rollups = Delta::default();
    rollups.message_inserted(
        &MessageFacts {
            workspace_id: workspace,
            lead_id: lead,
            channel: fields.channel.as_str().to_string(),
            direction: fields.direction.as_str().to_string(),
            created_at,
            status: status.as_str().to_string(),
            opens_turn: turn.opens_turn,
            replied_at: None,
            opened_at: None,
            proxy_opened_at: None,
            clicked_at: None,
            response_secs,
            auto_reply: received.auto_reply,
        },
        lead_last,
        channel_last,
    );
    if replies {
        super::turns::note_reply_in(tx.reborrow(), lead, id, &mut rollups).await?;
    }
    rollups.push_to(&mut script);
    let message = Message {
        id,
        lead_id: lead,
        direction: fields.direction,
        channel: fields.channel,
        subject: fields.subject.clone(),
        body: fields.body.clone(),
        status,
        status_reason: None,
        author_name: author_name.clone(),
        author_id: author,
        client_id: Some(fields.client_id),
        created_at,
        opened_at: None,
        clicked_at: None,
        proxy_opened_at: None,
        quoted: received.quoted.map(str::to_string),
        auto_reply: received.auto_reply,
        attachments: if sent_files.is_empty() {
            received.attachments.to_vec()
        } else {
            sent_files
        },
        has_html: received.has_html,
        omitted: received.omitted.to_vec(),
        delivered_via: held.map(str::to_string),
    };
    let mut pending = Vec::with_capacity(3);
    // Sending clears the sender's draft for this lead, everywhere.
    if let (Some(author), Direction::Outbound, true) = (author, fields.direction, has_draft) {
        script
            .push(super::drafts::DELETE_DRAFT)
            .bind(workspace)
            .bind(author)
            .bind(lead);
        pending.push(super::drafts::cleared(author, lead));
    }
    let inserted = message.clone();
    pending.push(Pending::new(None, move |seq| {
        ServerFrame::MessagesUpdated {
            seq,
            action: RowAction::Insert,
            message: inserted,
        }
    }));
    let kind = match fields.direction {
        Direction::Outbound => ActivityKind::MessageSent,
        Direction::Inbound => ActivityKind::MessageReceived,
    };
    let mut entry = NewActivity::new(kind, lead);
    entry.actor_id = author;
    entry.message_id = Some(id);
    entry.channel = Some(fields.channel);
    entry.detail = Some(&fields.body);
    let entry = super::activity::push_insert(
        &mut script,
        workspace,
        entry,
        feed_number + 1,
        lead_name,
        author_name,
    );
    pending.push(super::activity::feed_event(entry));
    let events = super::events::push_append(&mut script, workspace, event_head, pending)?;
    Ok((Recorded::Created(message), events, script))
}

impl Store {
    /// The message a retried send already created, if any.
    pub async fn message_by_client_id(
        &self,
        workspace: WorkspaceId,
        client_id: Uuid,
    ) -> Result<Option<Message>, sqlx::Error> {
        Ok(
            on_db!(self.db(), |p, sql| sqlx::query_as::<_, MessageRow>(sql(
                &format!(
                    "{} WHERE m.workspace_id = ? AND m.client_id = ?",
                    message_select(self.backend())
                )
            ))
            .bind(workspace)
            .bind(client_id)
            .fetch_optional(p)
            .await)?
            .map(Into::into),
        )
    }

    /// The newest outbound message to `lead` by a teammate other than `me`, sent after message
    /// `after` (or ever, for None): who and when.
    pub async fn teammate_reply_since(
        &self,
        workspace: WorkspaceId,
        lead: LeadId,
        me: UserId,
        after: Option<MessageId>,
    ) -> Result<Option<(String, DateTime<Utc>)>, sqlx::Error> {
        let mut sql = String::from(
            "SELECT u.name, m.created_at FROM messages m JOIN users u ON u.id = m.author_id \
             WHERE m.workspace_id = ? AND m.lead_id = ? AND m.direction = 'outbound' AND m.author_id != ?",
        );
        if after.is_some() {
            sql.push_str(
                " AND (m.created_at, m.id) > (SELECT created_at, id FROM messages \
                 WHERE id = ? AND workspace_id = ? AND lead_id = ?)",
            );
        }
        sql.push_str(" ORDER BY m.created_at DESC LIMIT 1");
        on_db!(self.db(), |p, fit| {
            let mut query = sqlx::query_as::<_, (String, DateTime<Utc>)>(fit(&sql))
                .bind(workspace)
                .bind(lead)
                .bind(me);
            if let Some(after) = after {
                query = query.bind(after).bind(workspace).bind(lead);
            }
            query.fetch_optional(p).await
        })
    }
}
