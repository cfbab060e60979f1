//! The server's records as the shared rules ([`comptoir_core::sync::rules`]) see them:
//! JSON bodies in the company's change log, each write a new change.

use comptoir_core::sync::rules::Records;
use comptoir_core::sync::{RecordBody, RecordKind};
use uuid::Uuid;

use crate::storage::{CompanyTx, StorageError};

/// One company transaction, read and written as typed records.
pub(crate) struct ServerRecords<'a>(pub &'a mut dyn CompanyTx);

impl Records for ServerRecords<'_> {
    type Error = StorageError;

    fn get(&mut self, kind: RecordKind, id: Uuid) -> Result<Option<RecordBody>, StorageError> {
        let Some(body) = self.0.get(kind, id)?.and_then(|stored| stored.body) else { return Ok(None) };
        serde_json::from_str(&body).map(Some).map_err(|e| StorageError::Corrupt(format!("{} {id}: {e}", kind.as_str())))
    }

    fn put(&mut self, kind: RecordKind, id: Uuid, body: Option<&RecordBody>) -> Result<(), StorageError> {
        let json = body.map(serde_json::to_string).transpose().map_err(|e| StorageError::Backend(e.to_string()))?;
        self.0.put(kind, id, json.as_deref())?;
        Ok(())
    }

    fn claim_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<bool, StorageError> {
        self.0.claim_key(namespace, key, owner)
    }

    fn release_key(&mut self, namespace: &str, key: &str, owner: Uuid) -> Result<(), StorageError> {
        self.0.release_key(namespace, key, owner)
    }

    fn is_referenced(&mut self, kind: RecordKind, id: Uuid) -> Result<bool, StorageError> {
        self.0.is_referenced(kind, id)
    }
}
