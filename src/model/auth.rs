//! Accounts: what a signed-in user looks like to the client, and the parsers for account input.
use super::error::AppError;
use super::ids::{ApiTokenId, InviteId, UserId, WorkspaceId};
use super::text::bounded;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const MAX_NAME_CHARS: usize = 100;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 200;
pub const MAX_EMAIL_CHARS: usize = 254;

/// A syntactically valid, lower-cased email address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(AppError::validation(field, "Email is required."));
        }
        if value.len() > MAX_EMAIL_CHARS {
            return Err(AppError::validation(field, "Email is too long."));
        }
        let invalid =
            || AppError::validation(field, "Enter a valid email address, like name@example.com.");
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[],;:\"\\".contains(c));
        if domain_ok && local_ok {
            Ok(Email(value))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the length policy. Never logged, never echoed back.
pub struct Password(String);

impl Password {
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        let count = raw.chars().count();
        if count < MIN_PASSWORD_CHARS {
            return Err(AppError::validation(
                field,
                format!("Password must be at least {MIN_PASSWORD_CHARS} characters."),
            ));
        }
        if count > MAX_PASSWORD_CHARS {
            return Err(AppError::validation(
                field,
                format!("Password must be at most {MAX_PASSWORD_CHARS} characters."),
            ));
        }
        Ok(Password(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A person's display name.
pub fn parse_person_name(field: &str, raw: &str) -> Result<String, AppError> {
    bounded(field, "Name", raw, 1, MAX_NAME_CHARS)
}

/// A workspace (team or company) name.
pub fn parse_workspace_name(field: &str, raw: &str) -> Result<String, AppError> {
    bounded(field, "Workspace name", raw, 1, MAX_NAME_CHARS)
}

/// Role of a user inside their workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Member => "member",
        }
    }

    /// A role as a form sends it.
    pub fn parse(field: &str, raw: &str) -> Result<Role, AppError> {
        match raw.trim() {
            "owner" => Ok(Role::Owner),
            "member" => Ok(Role::Member),
            _ => Err(AppError::validation(field, "Choose owner or member.")),
        }
    }

    pub fn from_db(s: &str) -> Role {
        if s == "owner" {
            Role::Owner
        } else {
            Role::Member
        }
    }
}

/// The signed-in user as the browser sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub workspace_id: WorkspaceId,
    pub workspace_name: String,
    /// The workspace's currency (ISO 4217), for every amount shown.
    pub currency: String,
}

/// A member of the caller's workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamMember {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// An invite that has not been accepted yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingInvite {
    pub id: InviteId,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A freshly created invite: the link is shown once, only its hash is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedInvite {
    pub invite: PendingInvite,
    pub link: String,
    /// Asked to email it: where it went (`smtp`, or `outbox` without a relay).
    #[serde(default)]
    pub emailed: Option<String>,
    /// Asked to email it, and it could not be sent: why (the link still works).
    #[serde(default)]
    pub email_error: Option<String>,
}

/// What the invite acceptance page shows before the teammate sets a password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InviteDetails {
    pub email: String,
    pub workspace_name: String,
    pub invited_by: String,
}

/// A personal API token as listed in settings (never the secret itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTokenInfo {
    pub id: ApiTokenId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub scopes: ApiScopes,
}

/// What an API token may do. Tokens work only on the JSON API (`/api/*`) and the event socket:
/// `read` covers GET requests and `/ws`, `write` every other method. Nothing a token can hold
/// manages accounts (tokens, teammates, invites, passwords, workspace settings): those need a
/// signed-in session, so a leaked token cannot mint another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiScopes {
    pub read: bool,
    pub write: bool,
}

impl ApiScopes {
    pub const READ_WRITE: ApiScopes = ApiScopes {
        read: true,
        write: true,
    };
    pub const READ_ONLY: ApiScopes = ApiScopes {
        read: true,
        write: false,
    };

    /// From the settings form: `read` or `read write`.
    pub fn parse(field: &str, text: &str) -> Result<Self, AppError> {
        match text.trim() {
            "read" => Ok(Self::READ_ONLY),
            "read write" | "write" => Ok(Self::READ_WRITE),
            _ => Err(AppError::validation(
                field,
                "Choose read only, or read and write.",
            )),
        }
    }

    /// The stored form: space-separated scope names.
    pub fn to_db(self) -> &'static str {
        match (self.read, self.write) {
            (_, true) => "read write",
            _ => "read",
        }
    }

    /// Unknown names grant nothing.
    pub fn from_db(text: &str) -> Self {
        let has = |name: &str| text.split_whitespace().any(|s| s == name);
        ApiScopes {
            read: has("read") || has("write"),
            write: has("write"),
        }
    }

    /// How the settings page names it.
    pub fn label(self) -> &'static str {
        if self.write {
            "Read and write"
        } else {
            "Read only"
        }
    }
}

/// A token right after creation: the only moment its secret is visible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedApiToken {
    pub info: ApiTokenInfo,
    pub secret: String,
}

/// Local paths only: `next=` after login must never send a user to another site.
pub fn safe_next_path(raw: &str) -> Option<&str> {
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.starts_with("/\\")
        && !raw.chars().any(|c| c.is_control() || c == '\\')
        && raw.len() <= 2000;
    ok.then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("email", "  Ada@Example.COM ")
                .unwrap()
                .as_str(),
            "ada@example.com"
        );
    }

    #[test]
    fn malformed_emails_are_rejected_on_their_field() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "ada@ex..com",
            "ada@.example.com",
        ] {
            let err = Email::parse("email", bad).unwrap_err();
            assert_eq!(err.field(), Some("email"), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn password_length_policy() {
        assert!(Password::parse("password", "short").is_err());
        assert!(Password::parse("password", "long enough").is_ok());
        assert!(Password::parse("password", &"x".repeat(201)).is_err());
    }

    #[test]
    fn token_scopes_parse_store_and_grant_nothing_unknown() {
        assert_eq!(
            ApiScopes::parse("scopes", "read").unwrap(),
            ApiScopes::READ_ONLY
        );
        assert_eq!(ApiScopes::from_db("read write"), ApiScopes::READ_WRITE);
        assert_eq!(ApiScopes::from_db("read").to_db(), "read");
        assert!(
            !ApiScopes::from_db("admin").read,
            "unknown scopes grant nothing"
        );
        assert!(ApiScopes::parse("scopes", "admin").is_err());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let p = Password::parse("password", "hunter22hunter").unwrap();
        assert!(!format!("{p:?}").contains("hunter"));
    }

    #[test]
    fn next_path_must_stay_on_this_site() {
        assert_eq!(safe_next_path("/leads/1"), Some("/leads/1"));
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "leads",
            "/a\nb",
        ] {
            assert_eq!(safe_next_path(bad), None, "{bad:?}");
        }
    }
}

/// Members and open invites of the caller's workspace, for the settings page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeamOverview {
    pub me: UserId,
    pub members: Vec<TeamMember>,
    pub invites: Vec<PendingInvite>,
}
