//! Messages leads send on the provider channels (SMS, WhatsApp, Instagram): stored once per
//! provider message id, joined to the lead with that address or making a new one.
use super::activity::{log_in, NewActivity};
use super::connections::Connection;
use super::db::{on_conn, Conn};
use super::events::LoggedEvent;
use super::messages::{record_in, EmailExtras, Recorded};
use super::{now, Store};
use crate::model::activity::ActivityKind;
use crate::model::channel::Channel;
use crate::model::ids::{LeadId, MessageId, WorkspaceId};
use crate::model::lead::Stage;
use crate::model::lead_input::LeadFields;
use crate::model::message::{AttachmentMeta, CollisionGuard, Direction, Message, MessageFields};
use uuid::Uuid;

/// A message a lead sent on a provider channel.
pub struct Incoming<'a> {
    pub channel: Channel,
    /// The provider's id of the message: the same message is stored once.
    pub provider_message_id: &'a str,
    /// The lead's address on the channel (`+15551234567`).
    pub from: &'a str,
    /// The name the provider knows the sender by (WhatsApp profile name), if any.
    pub profile_name: Option<&'a str>,
    pub body: &'a str,
    /// Pictures, voice notes, documents … fetched from the provider.
    pub media: &'a [crate::server::channels::media::MediaFile],
}

/// What [`Store::receive_channel_message`] did.
pub enum Arrived {
    Stored(Box<Message>),
    Duplicate,
}

impl Store {
    /// A message a lead sent on `connection`'s channel: joins the lead with that address (the
    /// most recently active), else a new lead named from the profile or the address. The
    /// provider's id makes a repeated webhook a duplicate. The connection's "last inbound" time
    /// is written in the same write (see `connection_failed` for why not apart).
    pub async fn receive_channel_message(
        &self,
        connection: &Connection,
        incoming: &Incoming<'_>,
    ) -> Result<Arrived, sqlx::Error> {
        let workspace = connection.workspace_id;
        let client_id = client_id(connection, incoming.provider_message_id);
        let mut tx = self.begin_write().await?;
        let seen: Option<(MessageId,)> = on_conn!(tx, |c, sql| sqlx::query_as(sql(
            "SELECT id FROM messages WHERE workspace_id = ? AND client_id = ?"
        ))
        .bind(workspace)
        .bind(client_id)
        .fetch_optional(c)
        .await)?;
        if seen.is_some() {
            tx.commit(Vec::new()).await?;
            return Ok(Arrived::Duplicate);
        }
        let (lead, created) = lead_for(tx.reborrow(), workspace, incoming).await?;
        let mut events: Vec<LoggedEvent> = created.into_iter().collect();
        let fields = MessageFields {
            direction: Direction::Inbound,
            channel: incoming.channel,
            subject: None,
            body: incoming.body.to_string(),
            client_id,
            guard: CollisionGuard::Off,
            template: None,
            attachments: Vec::new(),
        };
        let metas: Vec<AttachmentMeta> = incoming
            .media
            .iter()
            .map(|f| AttachmentMeta {
                id: Uuid::new_v4(),
                filename: f.filename.clone(),
                content_type: f.content_type.clone(),
                size: f.data.len() as i64,
            })
            .collect();
        let (recorded, logged) = record_in(
            tx.reborrow(),
            workspace,
            lead,
            None,
            &fields,
            None,
            EmailExtras {
                attachments: &metas,
                ..EmailExtras::default()
            },
        )
        .await?;
        if let Recorded::Created(message) = &recorded {
            for (position, (meta, file)) in metas.iter().zip(incoming.media).enumerate() {
                on_conn!(tx, |c, sql| sqlx::query(sql(
                    "INSERT INTO channel_media (id, message_id, workspace_id, position, filename, \
                     content_type, size, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ))
                .bind(meta.id)
                .bind(message.id)
                .bind(workspace)
                .bind(position as i64)
                .bind(&meta.filename)
                .bind(&meta.content_type)
                .bind(meta.size)
                .bind(&file.data)
                .execute(c)
                .await
                .map(super::db::Done::from))?;
            }
        }
        events.extend(logged);
        on_conn!(tx, |c, sql| sqlx::query(sql(
            "UPDATE channel_connections SET last_inbound_at = ? WHERE id = ?"
        ))
        .bind(now())
        .bind(connection.id)
        .execute(c)
        .await
        .map(super::db::Done::from))?;
        tx.commit(events).await?;
        Ok(match recorded {
            Recorded::Created(message) => Arrived::Stored(Box::new(message)),
            // Checked above, in the same write: not reachable.
            Recorded::Existing(_) => Arrived::Duplicate,
        })
    }
}

/// Punctuation people type in phone numbers, removed before comparing.
const PHONE_DIGITS: &str =
    "replace(replace(replace(replace(replace(X, ' ', ''), '-', ''), '(', ''), ')', ''), '.', '')";

/// The lead of `workspace` with the sender's address on the channel (the most recently
/// active), else a new lead named from the sender's profile or address.
async fn lead_for(
    mut tx: Conn<'_>,
    workspace: WorkspaceId,
    incoming: &Incoming<'_>,
) -> Result<(LeadId, Option<LoggedEvent>), sqlx::Error> {
    let column = match incoming.channel {
        Channel::Whatsapp => "whatsapp",
        Channel::Instagram => "instagram",
        _ => "phone",
    };
    let address = if incoming.channel == Channel::Instagram {
        incoming.from.trim().trim_start_matches('@').to_string()
    } else {
        normalise_phone(incoming.from)
    };
    let sql = if incoming.channel == Channel::Instagram {
        "SELECT id FROM leads WHERE workspace_id = ? AND lower(ltrim(instagram, '@')) = lower(ltrim(?, '@')) \
         ORDER BY last_message_at DESC, created_at DESC LIMIT 1"
            .to_string()
    } else {
        format!(
            "SELECT id FROM leads WHERE workspace_id = ? AND {} = ? \
             ORDER BY last_message_at DESC, created_at DESC LIMIT 1",
            PHONE_DIGITS.replace('X', column)
        )
    };
    let found: Option<(LeadId,)> = on_conn!(tx, |c, fit| sqlx::query_as(fit(&sql))
        .bind(workspace)
        .bind(&address)
        .fetch_optional(c)
        .await)?;
    if let Some((lead,)) = found {
        return Ok((lead, None));
    }
    let name = incoming
        .profile_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&address);
    let mut fields = LeadFields {
        name: name.chars().take(200).collect(),
        email: None,
        phone: None,
        whatsapp: None,
        instagram: None,
        company: None,
        stage: Stage::New,
        deal_value_cents: None,
        owner_id: None,
    };
    match incoming.channel {
        Channel::Whatsapp => fields.whatsapp = Some(address.clone()),
        Channel::Instagram => fields.instagram = Some(address.trim_start_matches('@').to_string()),
        _ => fields.phone = Some(address.clone()),
    }
    let lead = super::leads::insert_lead_in(tx.reborrow(), workspace, &fields, now()).await?;
    let created = log_in(
        tx.reborrow(),
        workspace,
        NewActivity::new(ActivityKind::LeadCreated, lead),
    )
    .await?;
    Ok((lead, Some(created)))
}

/// A phone number without the punctuation people type (`+1 (555) 010-0200` → `+15550100200`).
pub fn normalise_phone(raw: &str) -> String {
    raw.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.'))
        .collect()
}

/// The message's client id: the same provider message gets the same id, per connection.
fn client_id(connection: &Connection, provider_message_id: &str) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new()
        .chain_update(connection.id.as_bytes())
        .chain_update(provider_message_id.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::normalise_phone;

    #[test]
    fn phone_numbers_compare_without_punctuation() {
        assert_eq!(normalise_phone("+1 (555) 010-0200"), "+15550100200");
        assert_eq!(normalise_phone("+44.20.7946.0000"), "+442079460000");
    }
}
