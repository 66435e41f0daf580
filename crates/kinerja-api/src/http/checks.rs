//! Checks of request fields that several endpoints and the imports share: codes and names, free
//! texts, evidence links, levels and a PATCH's null. Each answers field errors for a 422.

use kinerja_domain::civil_service::{grade_is_valid, EmploymentType, FunctionalLevel, Nip, PositionKind};
use kinerja_domain::competency;
use kinerja_domain::limits::{is_clean_name, is_clean_text};
use kinerja_store::competency_rows::CompetencyRow;
use kinerja_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::ValidateEmail;

use crate::http::error::{ApiError, FieldError, ProblemCode};

/// Checks a short code (`DISDIK`, `JF-GURU-01`) and a display name.
pub fn check_code_and_name(code: Option<&str>, name: Option<&str>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(code) = code {
        let ok =
            (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !ok {
            errors.push(FieldError::new("code", "invalid_code", "1 to 32 of A-Z a-z 0-9 . _ -"));
        }
    }
    if let Some(name) = name {
        if name.trim().is_empty() || name.chars().count() > 200 {
            errors.push(FieldError::new("name", "invalid_length", "must be 1 to 200 characters"));
        } else if !is_clean_name(name) {
            errors.push(FieldError::new("name", "invalid_character", HIDDEN_CHARACTERS));
        }
    }
    errors
}

/// Why a text with hidden characters (control, text-direction) is refused.
pub const HIDDEN_CHARACTERS: &str = "must not hold control or text-direction characters";

/// A free text (description, note) of 1 to `max` characters, without hidden control characters;
/// its problem, if any, on `field`.
pub fn text_error(field: impl Into<String>, text: &str, max: usize) -> Option<FieldError> {
    if text.trim().is_empty() || text.chars().count() > max {
        Some(FieldError::new(field, "invalid_length", format!("must be 1 to {max} characters")))
    } else if !is_clean_text(text) {
        Some(FieldError::new(field, "invalid_character", HIDDEN_CHARACTERS))
    } else {
        None
    }
}

/// Turns a unique-constraint violation into a 409 with a specific code.
pub fn duplicate(code: ProblemCode, detail: &'static str) -> impl FnOnce(StoreError) -> ApiError {
    move |e| match e {
        StoreError::Duplicate(_) => ApiError::Conflict { code, detail: detail.to_owned() },
        other => other.into(),
    }
}

/// Reads `include=subunits`: whether a unit's answer covers its whole subtree.
pub fn include_subunits(include: Option<&str>) -> Result<bool, ApiError> {
    match include {
        None | Some("") => Ok(false),
        Some("subunits") => Ok(true),
        Some(_) => Err(ApiError::validation("include", "invalid_value", "the only choice is `subunits`")),
    }
}

/// Fails with 422 when any field error was found.
pub fn reject(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Tells a field given as `null` (Some(None)) from an absent one (None) in a PATCH body.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// A link to the evidence (http or https).
    #[serde(default)]
    #[schema(example = "https://drive.batanghari.go.id/laporan-q1.pdf")]
    url: Option<String>,
    /// The SHA-256 of a file, 64 hex digits.
    #[serde(default)]
    sha256: Option<String>,
    #[schema(example = "Laporan triwulan I")]
    description: String,
}

/// Checks one piece of evidence; `at` names it in the request (`realizations[0].evidence[1]`).
pub fn check_evidence(at: &str, e: &Evidence) -> Vec<FieldError> {
    let field = |name: &str| format!("{at}.{name}");
    let mut errors = Vec::new();
    if e.url.is_none() && e.sha256.is_none() {
        errors.push(FieldError::new(field("url"), "required", "evidence is a link or a file hash"));
    }
    if let Some(url) = &e.url {
        let ok = (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() <= 2000
            && !url.contains(char::is_whitespace);
        if !ok {
            errors.push(FieldError::new(field("url"), "invalid_url", "an http(s) URL of at most 2000 characters"));
        }
    }
    if let Some(hash) = &e.sha256 {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            errors.push(FieldError::new(field("sha256"), "invalid_sha256", "64 hexadecimal digits"));
        }
    }
    if e.description.trim().is_empty() || e.description.chars().count() > 500 {
        errors.push(FieldError::new(field("description"), "invalid_length", "1 to 500 characters"));
    }
    errors
}

/// A competency may be used in `agency` (`None`: nationally) when it is national or the agency's own.
pub fn usable_in(competency: &CompetencyRow, agency: Option<Uuid>) -> bool {
    competency.agency_id.is_none() || competency.agency_id == agency
}

/// A required or assessed level outside 1..5.
pub fn level_error(field: impl Into<String>, level: u8) -> Option<FieldError> {
    (!competency::LEVELS.contains(&level)).then(|| FieldError::new(field, "out_of_range", "a level from 1 to 5"))
}

pub fn unknown_competency(field: impl Into<String>) -> FieldError {
    FieldError::new(field, "not_found", "no competency with that id in the national dictionary or this agency's")
}

/// The checks every employee write shares (one record or a whole import): the NIP for its
/// employment type, the grade, name and email.
pub fn check_employee_fields(
    nip: &str,
    employment: EmploymentType,
    grade: Option<&str>,
    name: &str,
    email: Option<&str>,
) -> Vec<FieldError> {
    let mut errors = check_code_and_name(None, Some(name));
    if let Err(e) = Nip::parse(nip, employment) {
        errors.push(FieldError::new("nip", e.code(), e.to_string()));
    }
    if let Some(grade) = grade {
        if !grade_is_valid(grade, employment) {
            let expected = match employment {
                EmploymentType::Pns => "a PNS grade runs from I/a to IV/e",
                EmploymentType::Pppk => "a PPPK grade runs from I to XVII",
            };
            errors.push(FieldError::new("grade", "invalid_grade", expected));
        }
    }
    if let Some(email) = email {
        if !email.validate_email() {
            errors.push(FieldError::new("email", "invalid_email", "is not an email address"));
        }
    }
    errors
}

/// A functional position has a level and no other kind does (one record or a whole import).
pub fn check_position_level(kind: PositionKind, level: Option<FunctionalLevel>) -> Vec<FieldError> {
    match (kind.takes_level(), level) {
        (true, None) => vec![FieldError::new("level", "required", "a functional position needs a level")],
        (false, Some(_)) => vec![FieldError::new("level", "not_allowed", "only functional positions have a level")],
        _ => Vec::new(),
    }
}
