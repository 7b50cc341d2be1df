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
        /// v4), so a request naming one is answered exactly like one naming an unknown id:
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
id_type!(ApiTokenId);
id_type!(InviteId);
id_type!(
    /// A WhatsApp template the workspace declared.
    TemplateId
);

#[cfg(test)]
mod tests {
    use super::*;

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
