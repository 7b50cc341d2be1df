//! The browser's outbox: sends kept in `localStorage` until the server has them, so closing the
//! tab or leaving the lead while offline loses nothing. The thread retries them on its next
//! visit; a deleted lead's are dropped.
use super::storage;
use crate::model::ids::LeadId;
use crate::model::message::MessageInput;

/// An unsent message and the lead it goes to.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OutboxEntry {
    pub lead_id: LeadId,
    pub input: MessageInput,
}

const PREFIX: &str = "leadwire:outbox:";

fn key(client_id: &str) -> String {
    format!("{PREFIX}{client_id}")
}

/// Keeps a send until [`remove`] is called with its client id.
pub fn keep(lead_id: LeadId, input: &MessageInput) {
    let entry = OutboxEntry {
        lead_id,
        input: input.clone(),
    };
    if let Ok(json) = serde_json::to_string(&entry) {
        storage::set(&key(&input.client_id), &json);
    }
}

/// The server has the send (or refused it for good).
pub fn remove(client_id: &str) {
    storage::remove(&key(client_id));
}

fn all() -> impl Iterator<Item = (String, OutboxEntry)> {
    storage::keys_with_prefix(PREFIX)
        .into_iter()
        .filter_map(|k| {
            let json = storage::get(&k)?;
            let entry = serde_json::from_str::<OutboxEntry>(&json).ok()?;
            Some((k, entry))
        })
}

/// The sends to `lead_id` still waiting on this device.
pub fn for_lead(lead_id: LeadId) -> Vec<OutboxEntry> {
    all()
        .filter(|(_, e)| e.lead_id == lead_id)
        .map(|(_, e)| e)
        .collect()
}

/// A deleted lead's sends that never reached the server are dropped from this device.
pub fn forget_lead(lead_id: LeadId) {
    for (k, _) in all().filter(|(_, e)| e.lead_id == lead_id) {
        storage::remove(&k);
    }
}
