//! Small text parsers shared by the other models.
use super::error::AppError;

/// Trims `raw` and checks it holds between `min` and `max` characters.
pub fn bounded(
    field: &str,
    label: &str,
    raw: &str,
    min: usize,
    max: usize,
) -> Result<String, AppError> {
    let value = raw.trim();
    let count = value.chars().count();
    if count < min {
        return Err(AppError::validation(field, format!("{label} is required.")));
    }
    if count > max {
        return Err(AppError::validation(
            field,
            format!("{label} must be at most {max} characters."),
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(AppError::validation(
            field,
            format!("{label} must not contain control characters."),
        ));
    }
    Ok(value.to_string())
}

/// Like [`bounded`] for an optional field: blank means "none".
pub fn optional(
    field: &str,
    label: &str,
    raw: &str,
    max: usize,
) -> Result<Option<String>, AppError> {
    if raw.trim().is_empty() {
        Ok(None)
    } else {
        bounded(field, label, raw, 1, max).map(Some)
    }
}

/// Serde helper: a JSON `null` reads as an empty string (blank = "none" in our inputs).
pub fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    use serde::Deserialize;
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// "12 KB", "3.4 MB".
pub fn size_label(size: i64) -> String {
    match size {
        s if s < 1024 => format!("{s} B"),
        s if s < 1024 * 1024 => format!("{} KB", s / 1024),
        s => format!("{:.1} MB", s as f64 / (1024.0 * 1024.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_trims_and_rejects_blank_and_long_text() {
        assert_eq!(bounded("n", "Name", "  Ada ", 1, 5).unwrap(), "Ada");
        assert_eq!(
            bounded("n", "Name", "   ", 1, 5).unwrap_err().field(),
            Some("n")
        );
        assert!(bounded("n", "Name", "abcdef", 1, 5).is_err());
        assert!(bounded("n", "Name", "a\u{0}b", 1, 5).is_err());
    }

    #[test]
    fn optional_treats_blank_as_none() {
        assert_eq!(optional("c", "Company", " ", 5).unwrap(), None);
        assert_eq!(
            optional("c", "Company", "Acme", 5).unwrap().as_deref(),
            Some("Acme")
        );
    }
}
