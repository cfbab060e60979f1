//! The company's members (Users screen): adding, changing and removing them on the server.

use super::Worker;
use crate::engine::{MemberChange, MembersEvent, Secret};
use crate::model::{Role, UserId};

impl Worker {
    /// Checks a change of members against the user's role and the copy's members, has
    /// the server make it, then pulls so that the members table shows it.
    pub(super) async fn change_members(&mut self, change: MemberChange) -> MembersEvent {
        let refused = |code: &str, message: String| MembersEvent::Refused { code: code.to_owned(), message };
        let (Some(active), Some(link)) = (&self.active, &self.link) else {
            return refused("no_company", "No company is open.".into());
        };
        let (company, role) = (active.id, active.role);
        let members = match link.store.members() {
            Ok(members) => members,
            Err(e) => return refused(e.code(), e.to_string()),
        };
        let owners = members.iter().filter(|m| m.3 == Role::Owner).count();
        let member = |user: UserId| members.iter().find(|m| m.0 == user);
        let (from, to, email) = match &change {
            MemberChange::Add { email, role } => {
                let email = email.trim().to_lowercase();
                if let Err(e) = crate::model::validate_email(&email) {
                    return refused(e.code(), e.to_string());
                }
                let from = members.iter().find(|m| m.1.eq_ignore_ascii_case(&email)).map(|m| m.3);
                (from, Some(*role), email)
            }
            MemberChange::SetRole { user, role } => (member(*user).map(|m| m.3), Some(*role), String::new()),
            MemberChange::Remove { user } => (member(*user).map(|m| m.3), None, String::new()),
        };
        if from.is_none() && !matches!(change, MemberChange::Add { .. }) {
            return refused("not_found", "This user is not a member of this company.".into());
        }
        if let Err(e) = crate::model::authorize_membership(role, from, to, owners) {
            return refused(e.code(), e.to_string());
        }
        let result = match change {
            MemberChange::Add { role, .. } => {
                let request = crate::sync::AddMember { email: email.clone(), role, display_name: None };
                self.with_session(async |client| client.add_member(company, &request).await).await.map(|added| {
                    MembersEvent::Added {
                        email: added.member.email,
                        initial_password: added.initial_password.map(Secret),
                    }
                })
            }
            MemberChange::SetRole { user, role } => self
                .with_session(async |client| client.change_role(company, user, role).await)
                .await
                .map(|view| MembersEvent::RoleChanged { email: view.email, role: view.role }),
            MemberChange::Remove { user } => {
                let email = member(user).map(|m| m.1.clone()).unwrap_or_default();
                self.with_session(async |client| client.remove_member(company, user).await)
                    .await
                    .map(|()| MembersEvent::Removed { email })
            }
        };
        match result {
            Ok(event) => {
                self.sync().await;
                event
            }
            Err(e) => refused(e.code(), e.to_string()),
        }
    }
}
