//! Leads: the people a sales team talks to and their pipeline stage (the parser for lead input
//! is `lead_input`).
use super::ids::{LeadId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const MAX_LEAD_NAME_CHARS: usize = 200;
pub const MAX_COMPANY_CHARS: usize = 200;
/// Deal values above this (in whole currency units) are almost certainly typos.
pub const MAX_DEAL_VALUE_UNITS: i64 = 1_000_000_000_000;

/// Where a lead stands in the pipeline. `Won` means converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    New,
    Contacted,
    Qualified,
    Won,
    Lost,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::New,
        Stage::Contacted,
        Stage::Qualified,
        Stage::Won,
        Stage::Lost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Contacted => "contacted",
            Stage::Qualified => "qualified",
            Stage::Won => "won",
            Stage::Lost => "lost",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::New => "New",
            Stage::Contacted => "Contacted",
            Stage::Qualified => "Qualified",
            Stage::Won => "Won",
            Stage::Lost => "Lost",
        }
    }

    pub fn parse(raw: &str) -> Option<Stage> {
        Stage::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(raw.trim()))
    }

    /// Open deals count towards the pipeline value.
    pub fn is_open(self) -> bool {
        !matches!(self, Stage::Won | Stage::Lost)
    }
}

/// A lead as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    pub id: LeadId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub whatsapp: Option<String>,
    pub instagram: Option<String>,
    pub company: Option<String>,
    pub stage: Stage,
    /// Deal value in cents, to keep money exact.
    pub deal_value_cents: Option<i64>,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change: an edit names the version it was based on, and a stale one is
    /// refused rather than overwriting a teammate's change.
    pub version: i64,
}
