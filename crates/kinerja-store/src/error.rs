//! What can go wrong in the store, in terms the API can answer with.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached now (down, restarting, pool exhausted); worth a retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A statement ran past its `statement_timeout` (57014); worth a retry when less busy.
    #[error("statement timed out: {0}")]
    TimedOut(String),
    #[error("not found")]
    NotFound,
    /// A unique constraint refused the write; carries the constraint's name.
    #[error("unique constraint {0} violated")]
    Duplicate(String),
    /// Text the database cannot store (a NUL character): the caller's input, not a fault.
    #[error("text contains a character the database cannot store")]
    InvalidText,
    /// A foreign key refused the write (a referenced row is missing).
    #[error("foreign key {0} violated")]
    MissingReference(String),
    #[error("database error: {0}")]
    Other(String),
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => StoreError::NotFound,
            DieselError::DatabaseError(kind, info) => {
                let constraint = constraint_of(info.constraint_name(), info.message());
                match kind {
                    DatabaseErrorKind::UniqueViolation => StoreError::Duplicate(constraint),
                    // An exclusion constraint (23P01) refuses two rows that may not coexist, as a
                    // unique one does (two stand-ins for one official at once).
                    _ if info.message().contains("violates exclusion constraint") => StoreError::Duplicate(constraint),
                    DatabaseErrorKind::ForeignKeyViolation => StoreError::MissingReference(constraint),
                    DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                        StoreError::Unavailable(info.message().to_owned())
                    }
                    // The statement timeout (57014) or a database going down (57P01…): the
                    // request may be tried again.
                    _ if info.message().contains("canceling statement due to statement timeout") => {
                        StoreError::TimedOut(info.message().to_owned())
                    }
                    _ if info.message().contains("terminating connection") => {
                        StoreError::Unavailable(info.message().to_owned())
                    }
                    // PostgreSQL cannot hold NUL: text says "invalid byte sequence" (22021), jsonb
                    // "unsupported Unicode escape sequence" (22P05).
                    _ if info.message().contains("invalid byte sequence")
                        || info.message().contains("unsupported Unicode escape sequence") =>
                    {
                        StoreError::InvalidText
                    }
                    _ => StoreError::Other(info.message().to_owned()),
                }
            }
            DieselError::BrokenTransactionManager => StoreError::Unavailable(e.to_string()),
            // A row that cannot be read (an unknown stored code, say): the field and the cause.
            DieselError::DeserializationError(cause) => StoreError::Other(with_causes(cause.as_ref())),
            other => StoreError::Other(other.to_string()),
        }
    }
}

/// An error and every cause under it: "Error deserializing field 'status': a stored plan status …".
fn with_causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for StoreError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The schema's name of the constraint a database error names. A Citus worker's error names it
/// only in its message, and on the shard (`users_username_key_102009`): the shard's number goes.
fn constraint_of(field: Option<&str>, message: &str) -> String {
    let named = field.map(str::to_owned).or_else(|| {
        let start = message.find("constraint \"")? + "constraint \"".len();
        let len = message[start..].find('"')?;
        Some(message[start..start + len].to_owned())
    });
    let Some(name) = named else { return String::new() };
    match name.rsplit_once('_') {
        Some((logical, shard)) if shard.len() >= 6 && shard.bytes().all(|b| b.is_ascii_digit()) => logical.to_owned(),
        _ => name,
    }
}

#[cfg(test)]
mod tests {
    use super::constraint_of;

    #[test]
    fn a_shards_constraint_is_named_as_the_schema_names_it() {
        let message = "duplicate key value violates unique constraint \"users_username_key_102009\"";
        assert_eq!(constraint_of(None, message), "users_username_key");
        assert_eq!(constraint_of(Some("employees_nip_key"), message), "employees_nip_key");
        assert_eq!(constraint_of(Some("units_agency_id_code_key_102041"), ""), "units_agency_id_code_key");
        assert_eq!(constraint_of(None, "no constraint here"), "");
    }
}
