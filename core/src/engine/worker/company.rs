//! A company's lifecycle on this computer: choosing one, opening its copy (or downloading
//! it first), downloading it again when the server's data was rebuilt, and following a
//! copy that was moved.

use std::path::{Path, PathBuf};

use super::Worker;
use super::session::setup_error;
use crate::engine::link::Link;
use crate::engine::{CompanyChoice, Event, Notice, Progress, SetupError, SetupStep, SyncError};
use crate::model::{CompanyId, Role};
use crate::store::{CompanyFileCheck, LocalCompany};

impl Worker {
    pub(super) async fn choose(&mut self, company: CompanyId) {
        self.ensure_account().await;
        let membership = self.account.as_ref().and_then(|a| a.companies.iter().find(|m| m.company_id == company.0));
        let known = self.app.company(company).ok();
        let choice = match (membership, known) {
            (Some(m), known) => {
                CompanyChoice { id: company, name: m.name.clone(), role: m.role, local: known.is_some() }
            }
            (None, Some(known)) => CompanyChoice { id: company, name: known.name, role: Role::ReadOnly, local: true },
            (None, None) => {
                return self.emit(Event::SetupFailed(SetupError::Refused {
                    code: "not_a_member".into(),
                    message: "This account is not a member of this company.".into(),
                }));
            }
        };
        self.open_company(choice).await;
    }

    /// Opens a company: at once when its copy is here, else after its first download.
    pub(super) async fn open_company(&mut self, mut choice: CompanyChoice) {
        self.link = None;
        self.active = None;
        self.grace = None;
        let client = match self.client() {
            Ok(client) => client,
            Err(e) => return self.emit(Event::SetupFailed(setup_error(&e, &self.server))),
        };
        let path = match self.app.company(choice.id) {
            Ok(known) => match self.app.check_company_file(choice.id) {
                Ok(CompanyFileCheck::Attached) => Some(known.file_path),
                Ok(CompanyFileCheck::Missing) => {
                    let dirs = [self.companies_dir(), self.config.data_dir.clone()];
                    let found =
                        self.app.find_company_file(choice.id, &[dirs[0].as_path(), dirs[1].as_path()]).ok().flatten();
                    if found.is_some() {
                        self.emit(Event::Notice(Notice::CompanyFileMoved {
                            company: choice.id,
                            expected: known.file_path,
                            found,
                        }));
                        return;
                    }
                    // Deleted: download it again.
                    None
                }
                Ok(_) | Err(_) => {
                    self.emit(Event::Notice(Notice::CompanyFileMoved {
                        company: choice.id,
                        expected: known.file_path,
                        found: None,
                    }));
                    return;
                }
            },
            Err(_) => None,
        };
        let link = if let Some(path) = path {
            Link::open(client, choice.id, &path)
        } else {
            let path = self.companies_dir().join(format!("{}.{}", choice.id, crate::store::COMPANY_FILE_EXTENSION));
            Link::create(client, choice.id, &path, self.config.clock.now()).await.map(|(link, _)| link)
        };
        let mut link = match link {
            Ok(link) => link,
            Err(e) => return self.emit(Event::SetupFailed(sync_setup_error(&e, &self.server))),
        };
        link.cancel = self.stopping.clone();
        // Edits made from now on are the signed-in account's; only its own go in its name.
        link.store.set_author(self.user);
        let recorded = self.app.upsert_company(&LocalCompany {
            company_id: choice.id,
            account: self.user,
            name: choice.name.clone(),
            file_path: link.store.path().to_path_buf(),
            active: true,
        });
        if let Err(e) = recorded.and_then(|()| self.app.set_active_company(choice.id)) {
            return self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() }));
        }
        if self.account.is_none() {
            // Offline at start: the role as the copy last saw it.
            if let (Some(user), Ok(members)) = (self.user, link.store.members()) {
                choice.role = members.iter().find(|m| m.0 == user).map_or(Role::ReadOnly, |m| m.3);
            }
        }
        choice.local = true;
        let downloaded = link.downloaded().unwrap_or(false);
        let path = link.store.path().to_path_buf();
        self.link = Some(link);
        self.active = Some(choice.clone());
        self.emit(Event::SignedIn { email: self.email.clone().unwrap_or_default(), role: Some(choice.role) });
        self.report_waiting_edits();
        if downloaded {
            self.emit(Event::Setup(SetupStep::Ready { company: choice, path }));
            self.emit(Event::DataChanged);
            self.update_grace();
            self.sync_soon(std::time::Duration::ZERO);
        } else {
            self.emit(Event::Setup(SetupStep::Downloading { company: choice.clone(), progress: Progress::default() }));
            self.sync().await;
            if self.link.as_ref().is_some_and(|l| l.downloaded().unwrap_or(false)) {
                self.emit(Event::Setup(SetupStep::Ready { company: choice, path }));
                self.emit(Event::DataChanged);
            }
        }
    }

    /// The server's data was rebuilt: keep the old file aside, download again.
    pub(super) async fn download_again(&mut self) {
        let Some(choice) = self.active.clone() else { return };
        let Some(old) = self.link.take() else { return };
        let path = old.store.path().to_path_buf();
        drop(old);
        let client = match self.client() {
            Ok(client) => client,
            Err(e) => return self.failed(&SyncError::Client(e)),
        };
        match Link::create(client, choice.id, &path, self.config.clock.now()).await {
            Ok((mut link, backup)) => {
                link.cancel = self.stopping.clone();
                link.store.set_author(self.user);
                self.link = Some(link);
                self.emit(Event::Notice(Notice::DownloadedAgain { backup }));
                Box::pin(self.sync()).await;
            }
            Err(e) => self.failed(&e),
        }
    }

    pub(super) async fn relink(&mut self, company: CompanyId, path: &Path) {
        match self.app.relink_company(company, path) {
            Ok(()) => self.choose(company).await,
            Err(e) => self.emit(Event::SetupFailed(SetupError::Local { message: e.to_string() })),
        }
    }
}

pub(super) fn remove_company_file(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists()
            && let Err(e) = std::fs::remove_file(&file)
        {
            tracing::warn!(file = %file.display(), error = %e, "could not remove a company file");
        }
    }
}

pub(super) fn sync_setup_error(error: &SyncError, url: &str) -> SetupError {
    match error {
        SyncError::Client(e) => setup_error(e, url),
        SyncError::Incompatible { .. } | SyncError::NoSettings => SetupError::Incompatible,
        SyncError::Store(_) | SyncError::Cancelled => SetupError::Local { message: error.to_string() },
    }
}
