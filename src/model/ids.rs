//! Typed identifiers, so a lead id can never be passed where a user id is expected.
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type))]
        #[cfg_attr(feature = "ssr", sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        /// A malformed id reads as the nil UUID, which names no row (every id is a random
        /// v4, or a v7 for messages), so a request naming one is answered exactly like one naming an unknown id:
        /// not found, never a different error that would tell the two apart.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::parse(&raw).unwrap_or(Self(Uuid::nil())))
            }
        }

        impl $name {
            /// Parses the textual form; anything else is "not found" to the caller.
            pub fn parse(s: &str) -> Option<Self> {
                Uuid::parse_str(s.trim()).ok().map(Self)
            }

            #[cfg(feature = "ssr")]
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A workspace: the unit of tenancy; every query is scoped to one.
    WorkspaceId
);
id_type!(UserId);
id_type!(LeadId);
id_type!(MessageId);

#[cfg(feature = "ssr")]
impl MessageId {
    /// A new message's id: a UUIDv7, whose bytes sort in creation order (48 bits of
    /// milliseconds, then 74 random bits). Each send writes its id into two indexes (the
    /// messages' key and the feed's `activities_by_message`): with random v4 ids every insert
    /// landed on a different page of each, about six pages a commit each in `P3`; ordered ids
    /// append to the last one. The time it reveals is the message's own `created_at`, which
    /// whoever may read the id sees anyway.
    pub fn new_ordered() -> Self {
        Self(Uuid::now_v7())
    }
}
id_type!(ApiTokenId);
id_type!(InviteId);
id_type!(
    /// A WhatsApp template the workspace declared.
    TemplateId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn message_ids_sort_in_the_order_they_were_made() {
        // As stored: SQLite compares the 16 bytes, PostgreSQL's uuid the same way.
        // Many within one millisecond too: the process keeps them in order there as well.
        let ids: Vec<[u8; 16]> = (0..20_000)
            .map(|_| *MessageId::new_ordered().0.as_bytes())
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(MessageId::new_ordered().0.get_version_num(), 7);
    }

    #[test]
    fn a_malformed_id_reads_as_one_that_names_nothing() {
        let id: LeadId = serde_json::from_str("\"6f1c1d2e-7a4b-4c3d-9e8f-0a1b2c3d4e5f\"").unwrap();
        assert_eq!(id.to_string(), "6f1c1d2e-7a4b-4c3d-9e8f-0a1b2c3d4e5f");
        let bad: LeadId = serde_json::from_str("\"not-a-lead\"").unwrap();
        assert_eq!(bad, LeadId(Uuid::nil()));
        assert!(
            serde_json::from_str::<LeadId>("42").is_err(),
            "not a string at all"
        );
    }
}
