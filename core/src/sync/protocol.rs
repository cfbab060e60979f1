use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accounting::Posting;
use crate::audit::{AuditRecord, SignedAuditHead};
use crate::model::{
    Article, Company, Contact, Document, DocumentId, DocumentStatus, NumberingSeries, Payment, PaymentId, Permission,
    Role, UserId,
};

/// Bumped when the protocol changes incompatibly; the server says which it speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// The kinds of record a company's change log carries. Each is also a progress category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Contact,
    Article,
    Document,
    Payment,
    /// The company itself and its numbering series.
    Settings,
    /// Members of the company (the "users" category).
    Member,
    Audit,
    /// A batch of accounting entries marked posted.
    Posting,
}

impl RecordKind {
    pub const ALL: [Self; 8] = [
        Self::Contact,
        Self::Article,
        Self::Document,
        Self::Payment,
        Self::Settings,
        Self::Member,
        Self::Audit,
        Self::Posting,
    ];

    /// The order a first download brings them in: what a user needs first (see
    /// [`SnapshotPage`]).
    pub const DOWNLOAD_ORDER: [Self; 8] = [
        Self::Settings,
        Self::Member,
        Self::Contact,
        Self::Article,
        Self::Document,
        Self::Payment,
        Self::Posting,
        Self::Audit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contact => "contact",
            Self::Article => "article",
            Self::Document => "document",
            Self::Payment => "payment",
            Self::Settings => "settings",
            Self::Member => "member",
            Self::Audit => "audit",
            Self::Posting => "posting",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == value)
    }
}

/// A document as the server keeps it: the document and what was paid and credited on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentRecord {
    pub document: Document,
    /// The sum of `payments`.
    pub paid: Decimal,
    /// The payments allocated to it, in the order they were recorded.
    pub payments: Vec<ReceivedPayment>,
    /// For an invoice: the total of the credit notes issued against it.
    pub credited: Decimal,
}

impl DocumentRecord {
    pub fn new(document: Document) -> Self {
        Self { document, paid: Decimal::ZERO, payments: Vec::new(), credited: Decimal::ZERO }
    }
}

/// A payment's allocation to a document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceivedPayment {
    pub payment_id: PaymentId,
    pub amount: Decimal,
}

/// A member of the company, as other members see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberInfo {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// The company's settings record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settings {
    pub company: Company,
    pub series: Vec<NumberingSeries>,
    /// The company's own chart of accounts; `None`: its country's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<crate::accounting::AccountPlan>,
    /// The company's logo. Kept here rather than in [`Company`]: a company travels in
    /// every `UpdateCompany`, is read on every frame of several screens and is copied into
    /// the audit trail's before/after, none of which should carry up to 256 KiB of
    /// picture. Set with [`Intent::SetLogo`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<crate::model::Logo>,
}

/// The full content of a record, as it travels.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
pub enum RecordBody {
    Contact(Contact),
    Article(Article),
    Document(DocumentRecord),
    Payment(Payment),
    Settings(Box<Settings>),
    Member(MemberInfo),
    Audit(AuditRecord),
    Posting(Posting),
}

impl RecordBody {
    /// The contacts and articles this record refers to: a document's customer and its
    /// lines' articles, a payment's payer. Such a contact or article cannot be deleted.
    /// (The server's SQLite storage keeps the same list with triggers on the records'
    /// JSON; the copy's tables have them as columns.)
    pub fn references(&self) -> Vec<Uuid> {
        match self {
            Self::Document(record) => std::iter::once(record.document.contact_id.0)
                .chain(record.document.lines.iter().filter_map(|line| line.article_id.map(|a| a.0)))
                .collect(),
            Self::Payment(payment) => payment.contact_id.map(|c| c.0).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    pub fn kind(&self) -> RecordKind {
        match self {
            Self::Contact(_) => RecordKind::Contact,
            Self::Article(_) => RecordKind::Article,
            Self::Document(_) => RecordKind::Document,
            Self::Payment(_) => RecordKind::Payment,
            Self::Settings(_) => RecordKind::Settings,
            Self::Member(_) => RecordKind::Member,
            Self::Audit(_) => RecordKind::Audit,
            Self::Posting(_) => RecordKind::Posting,
        }
    }
}

/// One entry of the change log: a record's latest state, or its deletion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub seq: u64,
    pub kind: RecordKind,
    pub id: Uuid,
    /// `None`: the record was deleted.
    pub body: Option<RecordBody>,
}

/// Where a client stands in a company's change log. A new epoch (the server's data was
/// restored or rebuilt) invalidates every cursor of the old one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cursor {
    pub epoch: Uuid,
    pub seq: u64,
}

/// `GET /v1/companies/{company}/sync/status`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncStatus {
    pub protocol_version: u32,
    pub epoch: Uuid,
    pub seq: u64,
    pub server_time: DateTime<Utc>,
    /// How long a client may work offline before its copy turns read-only.
    pub offline_grace_hours: u32,
    /// The public key (ed25519, 32 bytes, base64) with which the server signs the head of
    /// the company's audit chain ([`crate::audit::SignedAuditHead`]). A copy pins the key
    /// it sees at its first download and checks its trail against the heads it pulls.
    /// Absent from servers that do not sign.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="))]
    pub audit_key: Option<String>,
    /// Set when the company moved to another host (another Comptoir server, or one
    /// computer of a local network): its data here is frozen, read-only, and every change
    /// is refused with `company_moved`. Where it went, in words for its members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<String>,
}

/// `POST /v1/companies/{company}/move`: the company leaves this host for another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MoveRequest {
    /// Where the company goes, in words for its members ("l'ordinateur du bureau").
    pub to: String,
}

/// What a move answered: the company is frozen on this host since `moved_at`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveAnswer {
    pub moved_at: DateTime<Utc>,
    pub moved_to: String,
}

/// What `PUT /v1/companies/{company}/archive` answered: the company is hosted by this
/// server again, in a new epoch (every copy downloads it again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchiveImported {
    /// The records of its log, deleted ones too.
    pub records: u64,
    pub epoch: Uuid,
}

/// `GET /v1/companies/{company}/sync/pull`: one page of changes after a cursor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullPage {
    pub epoch: Uuid,
    pub changes: Vec<Change>,
    /// The cursor after this page (unchanged when the page is empty).
    pub cursor: Cursor,
    pub has_more: bool,
    /// Changes left after this page, per category, when asked for (`counts=true`):
    /// a first download asks once and counts down from there.
    pub remaining: Option<BTreeMap<RecordKind, u64>>,
    /// On the last page of a pull (`has_more` false): the head of the company's audit
    /// chain, signed by the server, as of this pull. Every audit record up to it is in
    /// this page or before it; the copy keeps the latest head it received and checks its
    /// trail against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<SignedAuditHead>,
}

/// Where a snapshot stands: in the records of `kind`, before the seq `before` (`None`:
/// at the start of that kind). Each kind comes newest first, and the kinds in
/// [`RecordKind::DOWNLOAD_ORDER`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotPosition {
    pub kind: RecordKind,
    pub before: Option<u64>,
}

/// `GET /v1/companies/{company}/sync/snapshot`: one page of the company as it stood at
/// seq `upto` of its log, for a first download. The records come kind by kind in the
/// order a user needs them (settings, members, contacts, articles, documents, payments,
/// postings, the audit trail), each kind's newest first, so that the copy can open after
/// its first pages. Deleted records are not in it. A record changed after `upto` is not
/// in the snapshot (or not at that version): once the snapshot is complete, the copy
/// pulls the log after `upto` (`GET …/sync/pull?after=upto`), which brings it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SnapshotPage {
    pub epoch: Uuid,
    /// The seq of the log the snapshot stands at: chosen by the first page (the log's
    /// seq then), sent back by the client with every next page.
    pub upto: u64,
    pub changes: Vec<Change>,
    /// Where the next page starts; `None`: the snapshot is complete.
    pub next: Option<SnapshotPosition>,
    /// When asked for (`counts=true`): how many records the company's log holds per
    /// category, deleted ones included; a download's progress counts up to it.
    pub records: Option<BTreeMap<RecordKind, u64>>,
}

/// A snapshot page with raw record bodies: the same JSON as [`SnapshotPage`].
#[derive(Debug, Serialize, Deserialize)]
pub struct RawSnapshotPage {
    pub epoch: Uuid,
    pub upto: u64,
    pub changes: Vec<RawChange>,
    pub next: Option<SnapshotPosition>,
    pub records: Option<BTreeMap<RecordKind, u64>>,
}

/// The largest seq, cursor or mutation id the protocol carries: they are stored as
/// SQLite (and PostgreSQL) 64-bit signed integers.
pub const MAX_SEQ: u64 = i64::MAX.unsigned_abs();

/// `GET …/sync/copy` answers a company file whole (see
/// [`crate::store::adopt_copy`]), with the epoch and seq of the log it stands at, and its
/// schema version, in these headers.
pub const COPY_EPOCH_HEADER: &str = "x-comptoir-copy-epoch";
pub const COPY_UPTO_HEADER: &str = "x-comptoir-copy-upto";
pub const COPY_SCHEMA_HEADER: &str = "x-comptoir-copy-schema";

/// What a client asks the server to do: intents, not row edits, so that the server can
/// apply its rules (numbering, immutability, permissions) to each.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Intent {
    CreateContact {
        contact: Contact,
    },
    UpdateContact {
        contact: Contact,
    },
    CreateArticle {
        article: Article,
    },
    UpdateArticle {
        article: Article,
    },
    /// Deletes a contact that nothing refers to (no document, no payment); one that is
    /// referred to can only be archived.
    DeleteContact {
        id: crate::model::ContactId,
    },
    /// Deletes an article that no document line refers to; else it can only be archived.
    DeleteArticle {
        id: crate::model::ArticleId,
    },
    /// Creates or replaces a draft.
    SaveDraft {
        document: Document,
    },
    DeleteDraft {
        id: DocumentId,
    },
    /// Issues a draft: the server allocates its number from the series of its kind.
    IssueDocument {
        id: DocumentId,
    },
    /// Accepts or declines an issued quote.
    AnswerQuote {
        id: DocumentId,
        status: DocumentStatus,
    },
    /// Converts an accepted quote into a new draft invoice with the given id.
    ConvertQuote {
        quote: DocumentId,
        invoice: DocumentId,
        issue_date: NaiveDate,
    },
    RecordPayment {
        payment: Payment,
    },
    /// Undoes a payment recorded by mistake: the documents it settled owe again what it
    /// paid, and the payment leaves the books (its entry is reversed if it was posted).
    /// The audit trail keeps the payment as it was and the reason given.
    CancelPayment {
        id: crate::model::PaymentId,
        /// Why (1 to 200 characters): "saisi deux fois", "chèque rejeté" …
        reason: String,
    },
    UpdateCompany {
        company: Company,
    },
    SetNumbering {
        series: NumberingSeries,
    },
    /// Sets (`Some`) or removes (`None`) the company's logo.
    SetLogo {
        logo: Option<crate::model::Logo>,
    },
    /// Records in the audit trail that data left the app in a file (the trail as XLSX,
    /// entries as FEC or CSV). Changes no record.
    RecordExport {
        export: ExportNote,
    },
    /// Sets the company's chart of accounts: every entry is derived again with it, and
    /// posted entries that change come back as reversals and new entries.
    SetAccountPlan {
        plan: crate::accounting::AccountPlan,
    },
    /// Records in the audit trail that an issued document left by e-mail: the SMTP server
    /// took the message. Changes no record. Sent by the copy that sent the message, once
    /// the SMTP server has taken it, so that the trail and every device know.
    RecordSending {
        sending: SendingNote,
    },
}

/// A document sent by e-mail, for the audit trail ("envoyé le … à …").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendingNote {
    pub document: DocumentId,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// When the SMTP server took the message.
    pub at: DateTime<Utc>,
    /// The `Message-ID` it was sent with (`<…@…>`).
    pub message_id: String,
    /// The names of the files attached.
    pub files: Vec<String>,
}

impl SendingNote {
    /// The most recipients (To and Cc together) a note names.
    pub const MAX_RECIPIENTS: usize = 50;
    /// The most files a note names.
    pub const MAX_FILES: usize = 10;

    /// Checks the note's bounds: 1 to [`Self::MAX_RECIPIENTS`] valid addresses, a
    /// `Message-ID` of at most 250 characters, at most [`Self::MAX_FILES`] file names of
    /// at most 200 characters. The stable code and the reason when it is refused.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let recipients = self.to.len() + self.cc.len();
        if self.to.is_empty() || recipients > Self::MAX_RECIPIENTS {
            return Err((
                "sending_recipients_invalid",
                format!("A sending names 1 to {} recipients.", Self::MAX_RECIPIENTS),
            ));
        }
        for address in self.to.iter().chain(&self.cc) {
            if address.len() > 254 || address.trim() != address || address.parse::<lettre::Address>().is_err() {
                return Err(("sending_recipients_invalid", "A recipient is not a valid e-mail address.".into()));
            }
        }
        let id = &self.message_id;
        if id.chars().count() > 250
            || !(id.starts_with('<') && id.ends_with('>') && id.contains('@'))
            || id.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(("sending_message_id_invalid", "The sending's Message-ID is not valid.".into()));
        }
        if self.files.len() > Self::MAX_FILES
            || self.files.iter().any(|name| {
                name.trim().is_empty()
                    || name.chars().count() > 200
                    || name.chars().any(|c| c.is_control() || matches!(c, '/' | '\\'))
            })
        {
            return Err((
                "sending_files_invalid",
                format!("A sending names at most {} files, each of 1 to 200 characters.", Self::MAX_FILES),
            ));
        }
        Ok(())
    }
}

/// What an export took out of the app, for the audit trail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExportNote {
    pub id: Uuid,
    pub what: ExportKind,
    pub rows: u64,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The file's name, without its folder.
    pub file: String,
}

impl ExportNote {
    /// A note of a new export of `rows` rows to `path` (only its name is kept).
    pub fn new(
        what: ExportKind,
        rows: u64,
        (from, to): (Option<NaiveDate>, Option<NaiveDate>),
        path: &std::path::Path,
    ) -> Self {
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Self { id: Uuid::now_v7(), what, rows, from, to, file }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    AuditTrail,
    AccountingFec,
    AccountingCsv,
}

impl Intent {
    /// The permission the intent needs (checked by the server, and early by the client).
    pub fn permission(&self) -> Permission {
        match self {
            Self::CreateContact { .. } | Self::UpdateContact { .. } | Self::DeleteContact { .. } => {
                Permission::EditContacts
            }
            Self::CreateArticle { .. } | Self::UpdateArticle { .. } | Self::DeleteArticle { .. } => {
                Permission::EditArticles
            }
            Self::SaveDraft { .. }
            | Self::DeleteDraft { .. }
            | Self::AnswerQuote { .. }
            | Self::ConvertQuote { .. } => Permission::EditDocuments,
            Self::IssueDocument { .. } | Self::RecordSending { .. } => Permission::IssueDocuments,
            Self::RecordPayment { .. } | Self::CancelPayment { .. } => Permission::RecordPayments,
            Self::UpdateCompany { .. } | Self::SetLogo { .. } => Permission::EditCompanySettings,
            Self::SetNumbering { .. } => Permission::EditNumbering,
            Self::SetAccountPlan { .. } => Permission::PostAccounting,
            Self::RecordExport { export } => match export.what {
                ExportKind::AuditTrail => Permission::ExportAuditTrail,
                ExportKind::AccountingFec | ExportKind::AccountingCsv => Permission::ExportAccounting,
            },
        }
    }

    /// The record the intent is about: what the audit trail names.
    pub fn target(&self) -> (RecordKind, Uuid) {
        match self {
            Self::CreateContact { contact } | Self::UpdateContact { contact } => (RecordKind::Contact, contact.id.0),
            Self::CreateArticle { article } | Self::UpdateArticle { article } => (RecordKind::Article, article.id.0),
            Self::DeleteContact { id } => (RecordKind::Contact, id.0),
            Self::DeleteArticle { id } => (RecordKind::Article, id.0),
            Self::SaveDraft { document } => (RecordKind::Document, document.id.0),
            Self::DeleteDraft { id } | Self::IssueDocument { id } | Self::AnswerQuote { id, .. } => {
                (RecordKind::Document, id.0)
            }
            Self::ConvertQuote { invoice, .. } => (RecordKind::Document, invoice.0),
            Self::RecordPayment { payment } => (RecordKind::Payment, payment.id.0),
            Self::CancelPayment { id, .. } => (RecordKind::Payment, id.0),
            Self::UpdateCompany { company } => (RecordKind::Settings, company.id.0),
            Self::SetNumbering { .. } | Self::SetAccountPlan { .. } | Self::SetLogo { .. } => {
                (RecordKind::Settings, Uuid::nil())
            }
            Self::RecordExport { export } => (RecordKind::Audit, export.id),
            Self::RecordSending { sending } => (RecordKind::Document, sending.document.0),
        }
    }

    /// A short name for the audit trail and logs.
    pub fn action(&self) -> &'static str {
        match self {
            Self::CreateContact { .. } | Self::CreateArticle { .. } => "create",
            Self::UpdateContact { .. } | Self::UpdateArticle { .. } | Self::UpdateCompany { .. } => "update",
            Self::DeleteContact { .. } | Self::DeleteArticle { .. } => "delete",
            Self::SaveDraft { .. } => "save_draft",
            Self::DeleteDraft { .. } => "delete_draft",
            Self::IssueDocument { .. } => "issue",
            Self::AnswerQuote { .. } => "answer_quote",
            Self::ConvertQuote { .. } => "convert_quote",
            Self::RecordPayment { .. } => "payment",
            Self::CancelPayment { .. } => "cancel_payment",
            Self::SetNumbering { .. } => "set_numbering",
            Self::RecordExport { .. } => "export",
            Self::SetAccountPlan { .. } => "set_account_plan",
            Self::SetLogo { .. } => "set_logo",
            Self::RecordSending { .. } => "send_mail",
        }
    }
}

/// One mutation of a client's outbox. `mutation_id`s of a client only grow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Mutation {
    pub client_id: Uuid,
    /// The device's counter: from 1 to [`MAX_SEQ`], increasing.
    pub mutation_id: u64,
    pub intent: Intent,
}

impl Mutation {
    /// The digest of the intent (SHA-256 of its JSON, in hex): the server keeps it with
    /// its answer, to tell the same edit sent again from another edit sent under a used
    /// (client id, mutation id), as two copies of one file would.
    pub fn digest(&self) -> Result<String, serde_json::Error> {
        Ok(crate::audit::sha256_hex(&serde_json::to_vec(&self.intent)?))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub mutations: Vec<Mutation>,
}

/// What became of one mutation. A mutation sent again gets the same answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Applied; its changes are at `seq` (and before). `number`: the number allocated to
    /// an issued document.
    Applied { seq: u64, number: Option<String> },
    /// Refused: nothing changed. The client keeps it, with the reason, for the user.
    Rejected { code: String, message: String },
    /// Not looked at: another copy of the company's file already sent different edits
    /// under this client id (a restored backup, a copied file). Nothing changed and
    /// nothing is remembered: the client takes a new client id and sends the mutation
    /// again under it. So are the batch's later mutations of the same client id, so that
    /// a copy's edits keep their order.
    ClientIdTaken { message: String },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResult {
    pub client_id: Uuid,
    pub mutation_id: u64,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub results: Vec<PushResult>,
}

/// A change with its record's JSON kept as the server sent it: the client stores that
/// text in its replica, so both sides checksum the very same bytes.
#[derive(Debug, Serialize, Deserialize)]
pub struct RawChange {
    pub seq: u64,
    pub kind: RecordKind,
    pub id: Uuid,
    pub body: Option<Box<serde_json::value::RawValue>>,
}

impl RawChange {
    /// The typed record (`None` for a deletion).
    pub fn parse(&self) -> Result<Option<RecordBody>, serde_json::Error> {
        self.body.as_ref().map(|raw| serde_json::from_str(raw.get())).transpose()
    }
}

/// A pull page with raw record bodies: the same JSON as [`PullPage`].
#[derive(Debug, Serialize, Deserialize)]
pub struct RawPullPage {
    pub epoch: Uuid,
    pub changes: Vec<RawChange>,
    pub cursor: Cursor,
    pub has_more: bool,
    pub remaining: Option<BTreeMap<RecordKind, u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<SignedAuditHead>,
}

/// A kind of record's count and checksum, on the server or in a client's replica.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStats {
    pub count: u64,
    /// Order-independent: the wrapping sum, over live records, of the first 8 bytes
    /// (big-endian) of SHA-256(`id` as hyphenated text, `\n`, the record's JSON body),
    /// as 16 hex digits.
    pub checksum: String,
}

/// A record's digest: the first 8 bytes (big-endian) of SHA-256(`id`, `\n`, `body`).
pub fn record_digest(id: Uuid, body: &str) -> u64 {
    use sha2::{Digest as _, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(id.hyphenated().to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(body.as_bytes());
    let digest = hasher.finalize();
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// Folds one record into a running checksum (see [`TableStats::checksum`]).
pub fn checksum_add(sum: u64, id: Uuid, body: &str) -> u64 {
    sum.wrapping_add(record_digest(id, body))
}

/// Turns per-kind (count, sum) into [`TableStats`], every kind present.
pub fn table_stats(sums: &BTreeMap<RecordKind, (u64, u64)>) -> BTreeMap<RecordKind, TableStats> {
    RecordKind::ALL
        .into_iter()
        .map(|kind| {
            let (count, sum) = sums.get(&kind).copied().unwrap_or_default();
            (kind, TableStats { count, checksum: format!("{sum:016x}") })
        })
        .collect()
}
