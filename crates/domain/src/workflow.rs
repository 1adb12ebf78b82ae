//! Who may do what: roles, the acting user, and the review workflow (DESIGN §5).

use crate::network::{OrgCode, RegistryState};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    RosAdviser,
    IknlStaff,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::RosAdviser, Role::IknlStaff, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::RosAdviser => "ros_adviser",
            Role::IknlStaff => "iknl_staff",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role `{s}` (ros_adviser, iknl_staff, admin)"))
    }
}

/// An authenticated user, as established from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub sub: String,
    pub name: Option<String>,
    pub roles: Vec<Role>,
    pub org: Option<String>,
}

impl Actor {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// IKNL staff and admins act on every network.
    pub fn is_registry_staff(&self) -> bool {
        self.has(Role::IknlStaff) || self.has(Role::Admin)
    }

    /// May create networks at all.
    pub fn can_create(&self) -> bool {
        !self.roles.is_empty()
    }

    /// May see drafts and private contacts of networks (staff: all; advisers: their own ROS's).
    pub fn can_view_private(&self, ros_org: Option<&OrgCode>) -> bool {
        self.is_registry_staff() || self.is_adviser_of(ros_org)
    }

    /// May edit a network supported by `ros_org`.
    pub fn can_edit(&self, ros_org: Option<&OrgCode>) -> bool {
        self.is_registry_staff() || self.is_adviser_of(ros_org)
    }

    fn is_adviser_of(&self, ros_org: Option<&OrgCode>) -> bool {
        self.has(Role::RosAdviser)
            && matches!((ros_org, self.org.as_deref()), (Some(net), Some(mine)) if net.as_str() == mine)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a network cannot go from {from} to {to}")]
    NotAllowed {
        from: RegistryState,
        to: RegistryState,
    },
    #[error("only IKNL staff or admins may move a network to {to}")]
    Forbidden { to: RegistryState },
}

/// Checks one step of `draft → submitted → published → archived` (and back to `draft`).
///
/// The workflow graph is independent of who asks; publishing and archiving are reserved to
/// registry staff, an adviser may submit and take back to draft.
pub fn check_transition(
    actor: &Actor,
    from: RegistryState,
    to: RegistryState,
) -> Result<(), TransitionError> {
    use RegistryState::*;
    let allowed = matches!(
        (from, to),
        (Draft, Submitted)
            | (Submitted, Published)
            | (Submitted, Draft)
            | (Published, Archived)
            | (Published, Draft)
            | (Archived, Draft)
    );
    if !allowed {
        return Err(TransitionError::NotAllowed { from, to });
    }
    check_role(actor, to)
}

/// Publishing and archiving are reserved to registry staff.
pub fn check_role(actor: &Actor, to: RegistryState) -> Result<(), TransitionError> {
    if matches!(to, RegistryState::Published | RegistryState::Archived)
        && !actor.is_registry_staff()
    {
        return Err(TransitionError::Forbidden { to });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use RegistryState::*;

    fn actor(role: Role, org: Option<&str>) -> Actor {
        Actor {
            sub: "u".into(),
            name: None,
            roles: vec![role],
            org: org.map(str::to_owned),
        }
    }

    #[test]
    fn workflow_graph() {
        let staff = actor(Role::IknlStaff, None);
        let all = [Draft, Submitted, Published, Archived];
        let mut allowed = vec![];
        for from in all {
            for to in all {
                if check_transition(&staff, from, to).is_ok() {
                    allowed.push((from, to));
                }
            }
        }
        assert_eq!(
            allowed,
            [
                (Draft, Submitted),
                (Submitted, Draft),
                (Submitted, Published),
                (Published, Draft),
                (Published, Archived),
                (Archived, Draft)
            ]
        );
    }

    #[test]
    fn advisers_cannot_publish_or_archive() {
        let adviser = actor(Role::RosAdviser, Some("proscoop"));
        assert!(check_transition(&adviser, Draft, Submitted).is_ok());
        assert_eq!(
            check_transition(&adviser, Submitted, Published),
            Err(TransitionError::Forbidden { to: Published })
        );
        assert!(check_transition(&adviser, Published, Archived).is_err());
    }

    #[test]
    fn advisers_edit_only_their_own_ros() {
        let adviser = actor(Role::RosAdviser, Some("proscoop"));
        let own = OrgCode::parse("proscoop").ok();
        let other = OrgCode::parse("ros-elders").ok();
        assert!(adviser.can_edit(own.as_ref()));
        assert!(!adviser.can_edit(other.as_ref()));
        assert!(!adviser.can_edit(None));
        assert!(actor(Role::IknlStaff, None).can_edit(other.as_ref()));
    }
}
