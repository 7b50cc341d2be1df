//! Secrets at rest (a mailbox's password, later the channels' tokens): sealed with
//! XChaCha20-Poly1305 under the server's key, so a copy of the database alone reveals none.
//! The key is `secret_key` (`LEADWIRE_SECRET_KEY`, 64 hex digits) or, when unset, one made on
//! first start into `secret.key` beside the SQLite file (readable by its owner only). On
//! PostgreSQL it must be set: every instance sharing the database needs the same one. Sealed
//! values are write-only: nothing shows them back, and they are never logged.
use super::settings::Settings;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::path::PathBuf;

const KEY_FILE: &str = "secret.key";
/// Marks the format, so the scheme can change without guessing.
const PREFIX: &str = "v1:";

pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> SecretBox {
        SecretBox {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// The configured key, else the data folder's, made on first start.
    pub fn load(settings: &Settings) -> std::io::Result<SecretBox> {
        if let Some(key) = &settings.secret_key {
            return Ok(SecretBox::new(key));
        }
        if settings.database_url.starts_with("postgres") {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "on PostgreSQL, set secret_key (LEADWIRE_SECRET_KEY, 64 hex digits): \
                 every instance sharing the database must seal secrets with the same key",
            ));
        }
        let Some(path) = key_file(&settings.database_url) else {
            // An in-memory database keeps nothing, its secrets included.
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            return Ok(SecretBox::new(&key));
        };
        if let Ok(text) = std::fs::read_to_string(&path) {
            let key = super::crypto::from_hex(text.trim())
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} does not hold 64 hex digits", path.display()),
                    )
                })?;
            return Ok(SecretBox::new(&key));
        }
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        write_private(&path, &super::crypto::hex(&key))?;
        tracing::info!(file = %path.display(), "made a new secret key for secrets at rest");
        Ok(SecretBox::new(&key))
    }

    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("XChaCha20-Poly1305 encrypts any length we store");
        format!(
            "{PREFIX}{}{}",
            super::crypto::hex(&nonce),
            super::crypto::hex(&sealed)
        )
    }

    /// None when `sealed` was not made with this key (or was altered).
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = super::crypto::from_hex(sealed.strip_prefix(PREFIX)?)?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, body) = bytes.split_at(24);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), body).ok()?;
        String::from_utf8(plain).ok()
    }
}

/// `secret.key` beside the database file of a `sqlite://` URL (None for an in-memory one).
fn key_file(database_url: &str) -> Option<PathBuf> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?
        .split('?')
        .next()?;
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    let parent = std::path::Path::new(path).parent()?.to_path_buf();
    Some(parent.join(KEY_FILE))
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_unaltered() {
        let a = SecretBox::new(&[7; 32]);
        let sealed = a.seal("hunter2");
        assert!(sealed.starts_with("v1:") && !sealed.contains("hunter2"));
        assert_ne!(sealed, a.seal("hunter2"), "a fresh nonce every time");
        assert_eq!(a.open(&sealed).as_deref(), Some("hunter2"));
        assert_eq!(SecretBox::new(&[8; 32]).open(&sealed), None);
        // Its last hex digit changed (to another one: "00" in place of the last byte was no
        // change at all once in 256 runs).
        let mut altered = sealed.clone();
        let last = if sealed.ends_with('0') { "1" } else { "0" };
        altered.replace_range(sealed.len() - 1.., last);
        assert_ne!(altered, sealed);
        assert_eq!(a.open(&altered), None);
        assert_eq!(a.open("hunter2"), None);
    }

    #[test]
    fn the_key_file_sits_beside_the_database() {
        assert_eq!(
            key_file("sqlite://data/leadwire.db?mode=rwc"),
            Some(PathBuf::from("data/secret.key"))
        );
        assert_eq!(key_file("sqlite::memory:"), None);
    }
}
