//! Roles of users and scopes of integration clients (docs/rules.md, "Rules of the service itself").

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A user's role. Supervisor rights are not a role: they follow the supervisor links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, utoipa::ToSchema)]
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
    /// National oversight: reads every agency and the cross-agency reports, writes nothing.
    NationalAuditor,
}

impl Role {
    pub const ALL: [Role; 5] =
        [Role::SuperAdmin, Role::AgencyAdmin, Role::Auditor, Role::Employee, Role::NationalAuditor];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::AgencyAdmin => "agency_admin",
            Role::Auditor => "auditor",
            Role::Employee => "employee",
            Role::NationalAuditor => "national_auditor",
        }
    }

    /// Roles that belong to one agency and so need an `agency_id`.
    pub fn needs_agency(self) -> bool {
        !matches!(self, Role::SuperAdmin | Role::NationalAuditor)
    }

    /// Roles that read and never write.
    pub fn is_read_only(self) -> bool {
        matches!(self, Role::Auditor | Role::NationalAuditor)
    }
}

/// A code that is not one of the known values of a closed list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown code `{0}`")]
pub struct UnknownCode(pub String);

impl FromStr for Role {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an integration client may do in its agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
    Import,
    /// The event feed of the agency (`GET /events`).
    #[serde(rename = "events:read")]
    EventsRead,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Write, Scope::Import, Scope::EventsRead];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Import => "import",
            Scope::EventsRead => "events:read",
        }
    }

    /// Parses an OAuth2 `scope` parameter: space-separated codes.
    pub fn parse_list(list: &str) -> Result<Vec<Scope>, UnknownCode> {
        let mut scopes: Vec<Scope> = list.split_whitespace().map(str::parse).collect::<Result<_, _>>()?;
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }
}

impl FromStr for Scope {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is acting, as the access rules see them: a user (with roles) or an integration client
/// (with scopes), each tied to an agency except a super admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User { roles: Vec<Role>, agency_id: Option<Uuid> },
    Client { scopes: Vec<Scope>, agency_id: Uuid },
}

/// Things an actor may ask to do with the accounts of an agency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    /// List and read users and integration clients.
    Read,
    /// Create, change and revoke users and integration clients.
    Manage,
}

impl Actor {
    pub fn has_role(&self, role: Role) -> bool {
        matches!(self, Actor::User { roles, .. } if roles.contains(&role))
    }

    /// Whether the actor reads every agency: super admins and national auditors.
    pub fn reads_every_agency(&self) -> bool {
        self.has_role(Role::SuperAdmin) || self.has_role(Role::NationalAuditor)
    }

    /// Whether the actor reads the event feed of `agency`: whoever reads its people (users), or
    /// an integration client of the agency with the `events:read` scope.
    pub fn may_read_events(&self, agency: Uuid) -> bool {
        match self {
            Actor::User { .. } => self.may_on_registry(RegistryAction::ReadPeople, agency),
            Actor::Client { scopes, agency_id } => *agency_id == agency && scopes.contains(&Scope::EventsRead),
        }
    }

    /// Whether every role the actor holds is read-only (auditors): such a caller writes nothing.
    pub fn is_read_only(&self) -> bool {
        matches!(self, Actor::User { roles, .. } if !roles.is_empty() && roles.iter().all(|r| r.is_read_only()))
    }

    /// The access table for accounts of `agency` (`None`: accounts outside any agency, that is
    /// super admins): super admins everything; agency admins manage their own agency; auditors
    /// read their own agency; employees and integration clients nothing.
    pub fn may_on_accounts(&self, action: AccountAction, agency: Option<Uuid>) -> bool {
        let Actor::User { roles, agency_id } = self else { return false };
        if roles.contains(&Role::SuperAdmin) {
            return true;
        }
        let own_agency = agency.is_some() && agency == *agency_id;
        match action {
            AccountAction::Manage => own_agency && roles.contains(&Role::AgencyAdmin),
            AccountAction::Read => own_agency && (roles.contains(&Role::AgencyAdmin) || roles.contains(&Role::Auditor)),
        }
    }
}

/// Things an actor may ask to do with an agency's organisation registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryAction {
    /// The agency, its units and positions: the organisation chart.
    ReadStructure,
    /// Every employee record of the agency.
    ReadPeople,
    /// Create, change and delete registry records.
    Write,
    /// Load registry records in bulk (`POST /imports/…`): agency admins and clients with `import`.
    Import,
}

/// How an employee record relates to the calling employee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Own,
    /// Below the caller in the supervisor chain, directly or not.
    Subordinate,
    Unrelated,
}

impl Actor {
    /// The registry access table for `agency`: super admins everything; agency admins their own
    /// agency; auditors read their own agency; employees read their agency's structure (employee
    /// records only through [`Actor::may_read_employee`]); clients by scope (`read`, `write`, `import`) in
    /// their own agency. Anything in another agency: nothing.
    pub fn may_on_registry(&self, action: RegistryAction, agency: Uuid) -> bool {
        match self {
            Actor::User { roles, agency_id } => {
                if roles.contains(&Role::SuperAdmin) {
                    return true;
                }
                if roles.contains(&Role::NationalAuditor)
                    && matches!(action, RegistryAction::ReadStructure | RegistryAction::ReadPeople)
                {
                    return true;
                }
                if *agency_id != Some(agency) {
                    return false;
                }
                roles.iter().any(|role| {
                    matches!(
                        (role, action),
                        (Role::AgencyAdmin, _)
                            | (Role::Auditor, RegistryAction::ReadStructure | RegistryAction::ReadPeople)
                            | (Role::Employee, RegistryAction::ReadStructure)
                    )
                })
            }
            Actor::Client { scopes, agency_id } => {
                *agency_id == agency
                    && match action {
                        RegistryAction::ReadStructure | RegistryAction::ReadPeople => scopes.contains(&Scope::Read),
                        RegistryAction::Write => scopes.contains(&Scope::Write),
                        RegistryAction::Import => scopes.contains(&Scope::Import),
                    }
            }
        }
    }

    /// Whether the actor may read one employee record: whoever reads the agency's people, and an
    /// employee for their own record and those of everyone below them in the supervisor chain.
    pub fn may_read_employee(&self, agency: Uuid, relation: Relation) -> bool {
        self.may_on_registry(RegistryAction::ReadPeople, agency)
            || (self.has_role(Role::Employee)
                && matches!(self, Actor::User { agency_id, .. } if *agency_id == Some(agency))
                && relation != Relation::Unrelated)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_access_table() {
        let (own, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let user = |role: Role| Actor::User { roles: vec![role], agency_id: role.needs_agency().then_some(own) };
        let client = |scopes: &[Scope]| Actor::Client { scopes: scopes.to_vec(), agency_id: own };
        use RegistryAction::{Import, ReadPeople, ReadStructure, Write};
        let table = [
            (user(Role::SuperAdmin), Write, other, true),
            (user(Role::AgencyAdmin), Write, own, true),
            (user(Role::AgencyAdmin), ReadPeople, own, true),
            (user(Role::AgencyAdmin), ReadStructure, other, false),
            (user(Role::Auditor), ReadPeople, own, true),
            (user(Role::Auditor), Write, own, false),
            (user(Role::Auditor), ReadStructure, other, false),
            (user(Role::Employee), ReadStructure, own, true),
            (user(Role::Employee), ReadPeople, own, false),
            (user(Role::Employee), Write, own, false),
            (user(Role::Employee), ReadStructure, other, false),
            (client(&[Scope::Read]), ReadPeople, own, true),
            (client(&[Scope::Read]), Write, own, false),
            (client(&[Scope::Write]), Write, own, true),
            (client(&[Scope::Import]), ReadStructure, own, false),
            (client(&[Scope::Import]), Import, own, true),
            (client(&[Scope::Import]), Import, other, false),
            (client(&[Scope::Write]), Import, own, false),
            (user(Role::AgencyAdmin), Import, own, true),
            (user(Role::AgencyAdmin), Import, other, false),
            (user(Role::Auditor), Import, own, false),
            (user(Role::Employee), Import, own, false),
            (user(Role::SuperAdmin), Import, other, true),
            (user(Role::NationalAuditor), ReadPeople, other, true),
            (user(Role::NationalAuditor), ReadStructure, own, true),
            (user(Role::NationalAuditor), Write, own, false),
            (user(Role::NationalAuditor), Import, other, false),
            (client(&[Scope::Read, Scope::Write]), ReadPeople, other, false),
        ];
        for (actor, action, agency, allowed) in table {
            assert_eq!(actor.may_on_registry(action, agency), allowed, "{actor:?} {action:?} {agency:?}");
        }
    }

    #[test]
    fn employees_read_themselves_and_their_subordinates_only() {
        let (own, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let employee = Actor::User { roles: vec![Role::Employee], agency_id: Some(own) };
        assert!(employee.may_read_employee(own, Relation::Own));
        assert!(employee.may_read_employee(own, Relation::Subordinate));
        assert!(!employee.may_read_employee(own, Relation::Unrelated));
        assert!(!employee.may_read_employee(other, Relation::Subordinate));
        let auditor = Actor::User { roles: vec![Role::Auditor], agency_id: Some(own) };
        assert!(auditor.may_read_employee(own, Relation::Unrelated));
        assert!(!auditor.may_read_employee(other, Relation::Unrelated));
    }

    use super::*;

    #[test]
    fn account_access_table() {
        let (own, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let user = |role: Role| Actor::User { roles: vec![role], agency_id: role.needs_agency().then_some(own) };
        let client = Actor::Client { scopes: Scope::ALL.to_vec(), agency_id: own };
        use AccountAction::{Manage, Read};
        // (actor, action, target agency, allowed)
        let table = [
            (user(Role::SuperAdmin), Manage, Some(other), true),
            (user(Role::SuperAdmin), Manage, None, true),
            (user(Role::AgencyAdmin), Manage, Some(own), true),
            (user(Role::AgencyAdmin), Read, Some(own), true),
            (user(Role::AgencyAdmin), Manage, Some(other), false),
            (user(Role::AgencyAdmin), Read, Some(other), false),
            (user(Role::AgencyAdmin), Manage, None, false),
            (user(Role::Auditor), Read, Some(own), true),
            (user(Role::Auditor), Manage, Some(own), false),
            (user(Role::Auditor), Read, Some(other), false),
            (user(Role::Employee), Read, Some(own), false),
            (user(Role::Employee), Manage, Some(own), false),
            (client.clone(), Read, Some(own), false),
            (client, Manage, Some(own), false),
        ];
        for (actor, action, agency, allowed) in table {
            assert_eq!(actor.may_on_accounts(action, agency), allowed, "{actor:?} {action:?} {agency:?}");
        }
    }

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn only_the_national_roles_stand_outside_an_agency() {
        let outside: Vec<Role> = Role::ALL.into_iter().filter(|r| !r.needs_agency()).collect();
        assert_eq!(outside, vec![Role::SuperAdmin, Role::NationalAuditor]);
        let read_only: Vec<Role> = Role::ALL.into_iter().filter(|r| r.is_read_only()).collect();
        assert_eq!(read_only, vec![Role::Auditor, Role::NationalAuditor]);
    }

    #[test]
    fn scope_lists_parse_sorted_and_deduplicated() {
        assert_eq!(Scope::parse_list("write read  write"), Ok(vec![Scope::Read, Scope::Write]));
        assert_eq!(Scope::parse_list(""), Ok(vec![]));
        assert_eq!(Scope::parse_list("read delete"), Err(UnknownCode("delete".into())));
    }
}
