//! Lead input as a form or the JSON API gives it, and its parser: every field checked, with
//! the error naming the field.
use super::error::AppError;
use super::ids::UserId;
use super::lead::{Lead, Stage, MAX_COMPANY_CHARS, MAX_DEAL_VALUE_UNITS, MAX_LEAD_NAME_CHARS};
use super::text::{bounded, optional};
use serde::{Deserialize, Serialize};

/// Lead input exactly as a form or the JSON API gives it: text, blank meaning "none".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeadInput {
    pub name: String,
    pub email: String,
    pub phone: String,
    pub whatsapp: String,
    pub instagram: String,
    pub company: String,
    pub stage: String,
    pub deal_value: String,
    pub owner_id: String,
    /// The lead version this edit is based on; blank: none named (the change applies to
    /// whatever is current).
    pub version: String,
}

/// Lead fields after parsing: every value here is valid.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadFields {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub whatsapp: Option<String>,
    pub instagram: Option<String>,
    pub company: Option<String>,
    pub stage: Stage,
    pub deal_value_cents: Option<i64>,
    pub owner_id: Option<UserId>,
}

impl LeadInput {
    /// The input that reproduces `lead` unchanged: the base a partial update is laid over.
    pub fn from_lead(lead: &Lead) -> Self {
        LeadInput {
            name: lead.name.clone(),
            email: lead.email.clone().unwrap_or_default(),
            phone: lead.phone.clone().unwrap_or_default(),
            whatsapp: lead.whatsapp.clone().unwrap_or_default(),
            instagram: lead.instagram.clone().unwrap_or_default(),
            company: lead.company.clone().unwrap_or_default(),
            stage: lead.stage.as_str().to_string(),
            deal_value: lead
                .deal_value_cents
                .map(format_cents_plain)
                .unwrap_or_default(),
            owner_id: lead.owner_id.map(|id| id.to_string()).unwrap_or_default(),
            version: lead.version.to_string(),
        }
    }

    /// The version the edit is based on, if it names one.
    pub fn base_version(&self) -> Result<Option<i64>, AppError> {
        let raw = self.version.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .map(Some)
            .ok_or_else(|| {
                AppError::validation("version", "The version must be a positive whole number.")
            })
    }

    /// Sets one field by its wire name; `false` for a name that is not a lead field.
    pub fn set(&mut self, field: &str, value: String) -> bool {
        let slot = match field {
            "name" => &mut self.name,
            "email" => &mut self.email,
            "phone" => &mut self.phone,
            "whatsapp" => &mut self.whatsapp,
            "instagram" => &mut self.instagram,
            "company" => &mut self.company,
            "stage" => &mut self.stage,
            "deal_value" => &mut self.deal_value,
            "owner_id" => &mut self.owner_id,
            "version" => &mut self.version,
            _ => return false,
        };
        *slot = value;
        true
    }

    pub fn parse(&self) -> Result<LeadFields, AppError> {
        let stage = if self.stage.trim().is_empty() {
            Stage::New
        } else {
            Stage::parse(&self.stage).ok_or_else(|| {
                AppError::validation(
                    "stage",
                    "Stage must be one of new, contacted, qualified, won or lost.",
                )
            })?
        };
        let email = if self.email.trim().is_empty() {
            None
        } else {
            Some(
                super::auth::Email::parse("email", &self.email)?
                    .as_str()
                    .to_string(),
            )
        };
        let owner_id = if self.owner_id.trim().is_empty() {
            None
        } else {
            Some(UserId::parse(&self.owner_id).ok_or_else(|| {
                AppError::validation("owner_id", "Choose an owner from your team.")
            })?)
        };
        Ok(LeadFields {
            name: bounded("name", "Name", &self.name, 1, MAX_LEAD_NAME_CHARS)?,
            email,
            phone: parse_phone("phone", &self.phone)?,
            whatsapp: parse_phone("whatsapp", &self.whatsapp)?,
            instagram: parse_instagram(&self.instagram)?,
            company: optional("company", "Company", &self.company, MAX_COMPANY_CHARS)?,
            stage,
            deal_value_cents: parse_money_cents("deal_value", &self.deal_value)?,
            owner_id,
        })
    }
}

/// Phone numbers keep a leading `+` and their digits; spaces, dashes, dots and brackets are dropped.
pub fn parse_phone(field: &str, raw: &str) -> Result<Option<String>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        AppError::validation(
            field,
            "Enter a phone number with 7 to 15 digits, like +1 415 555 0100.",
        )
    };
    let (plus, rest) = match raw.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", raw),
    };
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err(invalid()),
        }
    }
    if !(7..=15).contains(&digits.len()) {
        return Err(invalid());
    }
    Ok(Some(format!("{plus}{digits}")))
}

/// Instagram handles: an optional leading `@`, then up to 30 letters, digits, dots or underscores.
pub fn parse_instagram(raw: &str) -> Result<Option<String>, AppError> {
    let handle = raw.trim().trim_start_matches('@');
    if handle.is_empty() {
        return Ok(None);
    }
    let ok = handle.len() <= 30
        && handle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    if ok {
        Ok(Some(handle.to_string()))
    } else {
        Err(AppError::validation(
            "instagram",
            "An Instagram handle has up to 30 letters, digits, dots or underscores.",
        ))
    }
}

/// Parses "12,500.50" or "12500" into cents.
pub fn parse_money_cents(field: &str, raw: &str) -> Result<Option<i64>, AppError> {
    let cleaned: String = raw
        .trim()
        .trim_start_matches(['$', '€', '£'])
        .chars()
        .filter(|c| *c != ',' && *c != '_' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    let invalid = || {
        AppError::validation(
            field,
            "Enter the deal value as a number, like 12500 or 12,500.50.",
        )
    };
    let (whole, frac) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    if frac.len() > 2 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    let units: i64 = whole.parse().map_err(|_| invalid())?;
    if units > MAX_DEAL_VALUE_UNITS {
        return Err(AppError::validation(field, "That deal value is too large."));
    }
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| invalid())? * 10,
        _ => frac.parse().map_err(|_| invalid())?,
    };
    Ok(Some(units * 100 + cents))
}

/// "12500.5" style, for putting a value back into an input.
pub fn format_cents_plain(cents: i64) -> String {
    if cents % 100 == 0 {
        format!("{}", cents / 100)
    } else {
        format!("{}.{:02}", cents / 100, cents % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::LeadId;
    use chrono::Utc;

    fn input(name: &str) -> LeadInput {
        LeadInput {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn minimal_lead_defaults_to_new_stage() {
        let fields = input("Ada Lovelace").parse().unwrap();
        assert_eq!(fields.stage, Stage::New);
        assert_eq!(fields.email, None);
    }

    #[test]
    fn blank_name_is_a_name_error() {
        assert_eq!(input("  ").parse().unwrap_err().field(), Some("name"));
        assert_eq!(
            input(&"x".repeat(201)).parse().unwrap_err().field(),
            Some("name")
        );
    }

    #[test]
    fn unknown_stage_is_rejected() {
        let mut i = input("Ada");
        i.stage = "closed".into();
        assert_eq!(i.parse().unwrap_err().field(), Some("stage"));
    }

    #[test]
    fn phones_are_normalised() {
        assert_eq!(
            parse_phone("phone", "+1 (415) 555-0100")
                .unwrap()
                .as_deref(),
            Some("+14155550100")
        );
        assert!(parse_phone("phone", "call me").is_err());
        assert!(parse_phone("phone", "123").is_err());
    }

    #[test]
    fn instagram_handles_lose_the_at_sign() {
        assert_eq!(
            parse_instagram("@ada.codes").unwrap().as_deref(),
            Some("ada.codes")
        );
        assert!(parse_instagram("ada codes").is_err());
    }

    #[test]
    fn money_parses_to_exact_cents() {
        assert_eq!(
            parse_money_cents("d", "12,500.50").unwrap(),
            Some(1_250_050)
        );
        assert_eq!(parse_money_cents("d", "$900").unwrap(), Some(90_000));
        assert_eq!(parse_money_cents("d", "1.5").unwrap(), Some(150));
        assert_eq!(parse_money_cents("d", "").unwrap(), None);
        for bad in ["-5", "1.234", "abc", "1e9", ".5"] {
            assert!(parse_money_cents("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn money_is_written_plain_in_forms() {
        assert_eq!(format_cents_plain(1_250_050), "12500.50");
    }

    #[test]
    fn a_lead_round_trips_through_its_input() {
        let lead = Lead {
            id: LeadId(uuid::Uuid::nil()),
            name: "Ada".into(),
            email: Some("ada@example.com".into()),
            phone: Some("+14155550100".into()),
            whatsapp: None,
            instagram: Some("ada".into()),
            company: Some("Analytical".into()),
            stage: Stage::Qualified,
            deal_value_cents: Some(1_250_050),
            owner_id: None,
            owner_name: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 3,
        };
        assert_eq!(LeadInput::from_lead(&lead).base_version().unwrap(), Some(3));
        let fields = LeadInput::from_lead(&lead).parse().unwrap();
        assert_eq!(fields.deal_value_cents, lead.deal_value_cents);
        assert_eq!(fields.stage, lead.stage);
        assert_eq!(fields.email, lead.email);
    }
}
