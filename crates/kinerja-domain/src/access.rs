//! Roles of users and scopes of integration clients (API.md "Auth and users").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's role. Supervisor rights are not a role: they follow the supervisor links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, in every agency.
    SuperAdmin,
    /// Everything within one agency.
    AgencyAdmin,
    /// Reads one agency, writes nothing.
    Auditor,
    /// A civil servant linked to an employee record.
    Employee,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::SuperAdmin, Role::AgencyAdmin, Role::Auditor, Role::Employee];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::AgencyAdmin => "agency_admin",
            Role::Auditor => "auditor",
            Role::Employee => "employee",
        }
    }

    /// Roles that belong to one agency and so need an `agency_id`.
    pub fn needs_agency(self) -> bool {
        !matches!(self, Role::SuperAdmin)
    }
}

/// A code that is not one of the known values of a closed list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown code `{0}`")]
pub struct UnknownCode(pub String);

impl FromStr for Role {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an integration client may do in its agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
    Import,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Import];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Import => "import",
        }
    }

    /// Parses an OAuth2 `scope` parameter: space-separated codes.
    pub fn parse_list(list: &str) -> Result<Vec<Scope>, UnknownCode> {
        let mut scopes: Vec<Scope> = list
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }
}

impl FromStr for Scope {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn only_super_admin_stands_outside_an_agency() {
        let outside: Vec<Role> = Role::ALL.into_iter().filter(|r| !r.needs_agency()).collect();
        assert_eq!(outside, vec![Role::SuperAdmin]);
    }

    #[test]
    fn scope_lists_parse_sorted_and_deduplicated() {
        assert_eq!(
            Scope::parse_list("write read  write"),
            Ok(vec![Scope::Read, Scope::Write])
        );
        assert_eq!(Scope::parse_list(""), Ok(vec![]));
        assert_eq!(
            Scope::parse_list("read delete"),
            Err(UnknownCode("delete".into()))
        );
    }
}
