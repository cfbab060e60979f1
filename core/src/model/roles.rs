//! Users' roles in a company and what each may do.
//!
//! [`Role::authorize`] is the one permission check: the sync server enforces it, and the
//! app and the engine call the same function early, so the UI can explain a refusal
//! instead of failing later.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ModelError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including naming or removing other owners.
    Owner,
    /// Everything but owners.
    Admin,
    /// Day-to-day sales: contacts, articles, documents, payments.
    Sales,
    /// Reads everything and exports; changes no business data.
    Accountant,
    /// Reads everything.
    ReadOnly,
}

/// Something a user may want to do in a company.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    ReadData,
    ReadAuditTrail,
    EditContacts,
    EditArticles,
    EditDocuments,
    IssueDocuments,
    RecordPayments,
    EditCompanySettings,
    EditNumbering,
    ManageMembers,
    ManageOwners,
    ExportAccounting,
    PostAccounting,
    ExportAuditTrail,
}

impl Permission {
    pub const ALL: [Self; 14] = [
        Self::ReadData,
        Self::ReadAuditTrail,
        Self::EditContacts,
        Self::EditArticles,
        Self::EditDocuments,
        Self::IssueDocuments,
        Self::RecordPayments,
        Self::EditCompanySettings,
        Self::EditNumbering,
        Self::ManageMembers,
        Self::ManageOwners,
        Self::ExportAccounting,
        Self::PostAccounting,
        Self::ExportAuditTrail,
    ];
}

impl fmt::Display for Permission {
    /// Completes "Your role does not allow you to …".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ReadData => "read this company's data",
            Self::ReadAuditTrail => "read the audit trail",
            Self::EditContacts => "change contacts",
            Self::EditArticles => "change articles",
            Self::EditDocuments => "change documents",
            Self::IssueDocuments => "issue documents",
            Self::RecordPayments => "record payments",
            Self::EditCompanySettings => "change the company's settings",
            Self::EditNumbering => "change the numbering series",
            Self::ManageMembers => "manage the company's users",
            Self::ManageOwners => "name or remove owners",
            Self::ExportAccounting => "export accounting entries",
            Self::PostAccounting => "post accounting entries",
            Self::ExportAuditTrail => "export the audit trail",
        })
    }
}

impl Role {
    pub const ALL: [Self; 5] = [Self::Owner, Self::Admin, Self::Sales, Self::Accountant, Self::ReadOnly];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Sales => "sales",
            Self::Accountant => "accountant",
            Self::ReadOnly => "read_only",
        }
    }

    pub fn parse(value: &str) -> Result<Self, ModelError> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == value)
            .ok_or_else(|| ModelError::UnknownValue { field: "role", value: value.to_owned() })
    }

    /// Whether this role grants `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Self::Owner => true,
            Self::Admin => permission != P::ManageOwners,
            Self::Sales => matches!(
                permission,
                P::ReadData
                    | P::ReadAuditTrail
                    | P::EditContacts
                    | P::EditArticles
                    | P::EditDocuments
                    | P::IssueDocuments
                    | P::RecordPayments
            ),
            Self::Accountant => matches!(
                permission,
                P::ReadData | P::ReadAuditTrail | P::ExportAccounting | P::PostAccounting | P::ExportAuditTrail
            ),
            Self::ReadOnly => matches!(permission, P::ReadData | P::ReadAuditTrail),
        }
    }

    /// The permission check shared by the server, the engine and the UI.
    pub fn authorize(self, permission: Permission) -> Result<(), ModelError> {
        if self.allows(permission) { Ok(()) } else { Err(ModelError::PermissionDenied { role: self, permission }) }
    }
}

/// Whether `actor` may change a member's role from `from` (`None`: not a member yet) to
/// `to` (`None`: removed), given the company's current `owners`: managing members takes
/// [`Permission::ManageMembers`], naming or removing an owner takes an owner, and the last
/// owner stays. The server's check and the app's early one.
pub fn authorize_membership(
    actor: Role,
    from: Option<Role>,
    to: Option<Role>,
    owners: usize,
) -> Result<(), ModelError> {
    actor.authorize(Permission::ManageMembers)?;
    if from == Some(Role::Owner) || to == Some(Role::Owner) {
        actor.authorize(Permission::ManageOwners)?;
    }
    if from == Some(Role::Owner) && to != Some(Role::Owner) && owners <= 1 {
        return Err(ModelError::LastOwner);
    }
    Ok(())
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Sales => "sales",
            Self::Accountant => "accountant",
            Self::ReadOnly => "read-only",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission as P;

    /// The whole matrix, written out so that a change to a role is a visible change here.
    fn expected(role: Role) -> Vec<Permission> {
        match role {
            Role::Owner => Permission::ALL.to_vec(),
            Role::Admin => Permission::ALL.into_iter().filter(|p| *p != P::ManageOwners).collect(),
            Role::Sales => vec![
                P::ReadData,
                P::ReadAuditTrail,
                P::EditContacts,
                P::EditArticles,
                P::EditDocuments,
                P::IssueDocuments,
                P::RecordPayments,
            ],
            Role::Accountant => {
                vec![P::ReadData, P::ReadAuditTrail, P::ExportAccounting, P::PostAccounting, P::ExportAuditTrail]
            }
            Role::ReadOnly => vec![P::ReadData, P::ReadAuditTrail],
        }
    }

    #[test]
    fn permissions_of_each_role() {
        for role in Role::ALL {
            let granted = expected(role);
            for permission in Permission::ALL {
                assert_eq!(role.allows(permission), granted.contains(&permission), "{role}: {permission}");
                assert_eq!(role.authorize(permission).is_ok(), granted.contains(&permission));
            }
        }
    }

    #[test]
    fn accountant_reads_and_exports_but_edits_nothing() {
        let accountant = Role::Accountant;
        for edit in [P::EditContacts, P::EditArticles, P::EditDocuments, P::IssueDocuments, P::RecordPayments] {
            let err = accountant.authorize(edit).unwrap_err();
            assert_eq!(err.code(), "permission_denied");
        }
        assert_eq!(
            accountant.authorize(P::EditDocuments).unwrap_err().to_string(),
            "Your role (accountant) does not allow you to change documents."
        );
        accountant.authorize(P::ExportAccounting).unwrap();
    }

    #[test]
    fn membership_changes_take_a_manager_an_owner_for_owners_and_keep_the_last_owner() {
        let sales = authorize_membership(Role::Sales, None, Some(Role::Sales), 1).unwrap_err();
        assert_eq!(sales.to_string(), "Your role (sales) does not allow you to manage the company's users.");
        authorize_membership(Role::Admin, None, Some(Role::Accountant), 1).unwrap();
        authorize_membership(Role::Admin, Some(Role::Sales), None, 1).unwrap();
        let admin = authorize_membership(Role::Admin, Some(Role::Owner), Some(Role::Admin), 2).unwrap_err();
        assert_eq!(admin.code(), "permission_denied");
        authorize_membership(Role::Owner, Some(Role::Owner), Some(Role::Admin), 2).unwrap();
        assert_eq!(authorize_membership(Role::Owner, Some(Role::Owner), None, 1), Err(ModelError::LastOwner));
        assert_eq!(
            authorize_membership(Role::Owner, Some(Role::Owner), Some(Role::Sales), 1),
            Err(ModelError::LastOwner)
        );
        authorize_membership(Role::Owner, Some(Role::Owner), Some(Role::Owner), 1).unwrap();
    }

    #[test]
    fn roles_round_trip_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert_eq!(Role::parse("boss").unwrap_err().code(), "unknown_value");
    }
}
