//! Units of work: changes of several steps that commit whole or not at all.
//!
//! Adding a member creates their account when the email has none, writes the membership,
//! writes the member record in the company's log and appends the audit record that says
//! who did it. A crash between any two of these steps must leave either all of them or
//! none: they run on one [`StorageTx`], which spans accounts, memberships and companies'
//! logs. The interface is closures over a transaction object so that a backend with
//! transactions of its own (PostgreSQL) implements it with one `BEGIN … COMMIT`, and may
//! run the work again when the database asks for a retry.

use comptoir_core::model::{CompanyId, Role, UserId};
use uuid::Uuid;

use super::{CompanyRecord, CompanyTx, LogState, MemberRecord, MoveRecord, Storage, StorageError, UserRecord};

/// What one storage transaction can do. Every write is undone if the transaction does not
/// commit; invariants (a company keeps an owner) are checked inside, against what the
/// transaction sees.
pub trait StorageTx {
    fn user_by_email(&mut self, email: &str) -> Result<Option<UserRecord>, StorageError>;
    fn user(&mut self, id: UserId) -> Result<Option<UserRecord>, StorageError>;
    /// Refused with [`StorageError::EmailTaken`] when the email has an account.
    fn create_user(&mut self, user: &UserRecord) -> Result<(), StorageError>;

    fn company(&mut self, id: CompanyId) -> Result<Option<CompanyRecord>, StorageError>;
    fn companies(&mut self) -> Result<Vec<CompanyRecord>, StorageError>;
    /// Creates a company with its (empty) change log at its first `epoch`.
    fn create_company(&mut self, company: &CompanyRecord, epoch: Uuid) -> Result<(), StorageError>;
    /// Gives a company's log a new epoch: every client's cursor turns stale and each
    /// downloads the company again (after a restore, whose seqs were handed out before).
    fn set_epoch(&mut self, company: CompanyId, epoch: Uuid) -> Result<(), StorageError>;

    /// Where `company` went, when it moved to another host.
    fn moved(&mut self, company: CompanyId) -> Result<Option<MoveRecord>, StorageError>;
    /// Marks `company` moved (`Some`) or back here (`None`).
    fn set_moved(&mut self, company: CompanyId, moved: Option<&MoveRecord>) -> Result<(), StorageError>;
    /// Creates a company from another host's copy: its record and its log at `state`
    /// (records follow with [`CompanyTx::restore_record`]).
    fn import_company(&mut self, company: &CompanyRecord, state: &LogState) -> Result<(), StorageError>;
    /// Removes a company and everything it holds here (its log, keys, answers, members,
    /// devices, invitations, staged postings); accounts stay.
    fn delete_company(&mut self, company: CompanyId) -> Result<(), StorageError>;

    fn members(&mut self, company: CompanyId) -> Result<Vec<MemberRecord>, StorageError>;
    /// Adds `user` to `company` with `role`, or changes their role. Refused with
    /// [`StorageError::LastOwner`] when it would leave a company that has an owner without
    /// one.
    fn set_member(&mut self, company: CompanyId, user: UserId, role: Role) -> Result<(), StorageError>;
    /// Removes `user` from `company`; never the last owner.
    fn remove_member(&mut self, company: CompanyId, user: UserId) -> Result<(), StorageError>;

    /// Runs `work` on the company's change log, inside this transaction: its error
    /// becomes the transaction's.
    fn in_company(
        &mut self,
        company: CompanyId,
        work: &mut dyn FnMut(&mut dyn CompanyTx) -> Result<(), StorageError>,
    ) -> Result<(), StorageError>;
}

/// Runs `work` in one storage transaction ([`Storage::transaction`]) and returns its
/// result: when `work` succeeds everything it wrote commits together; when it fails,
/// nothing it wrote stays and its error is returned.
pub fn unit_of_work<T, E: From<StorageError>>(
    storage: &dyn Storage,
    mut work: impl FnMut(&mut dyn StorageTx) -> Result<T, E>,
) -> Result<T, E> {
    let mut result = None;
    let outcome = storage.transaction(&mut |tx| match work(tx) {
        Ok(value) => {
            result = Some(Ok(value));
            Ok(())
        }
        Err(e) => {
            result = Some(Err(e));
            Err(StorageError::Abort)
        }
    });
    match (outcome, result) {
        // Committed, or rolled back because `work` failed: its own answer.
        (Ok(()), Some(Ok(value))) => Ok(value),
        (Err(StorageError::Abort), Some(Err(e))) => Err(e),
        // The commit itself failed (or the backend gave up): the backend's error.
        (Err(e), _) => Err(e.into()),
        (Ok(()), _) => Err(StorageError::Backend("a transaction committed without running its work".into()).into()),
    }
}
