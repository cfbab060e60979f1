//! Every stable error code has a user message in every locale, and no locale keeps a
//! message for a code that no longer exists.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::collections::BTreeSet;
use std::path::Path;

/// The codes `code()` returns, read from the error modules' source (the model's, the
/// store's, the sync client's, the audit trail's check, the document templates', the
/// local network's), the rules', and those the account and pairing APIs answer with, which
/// the app shows in Préférences: adding a code without its messages fails here.
fn codes() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut codes = BTreeSet::new();
    for file in [
        "src/model/error.rs",
        "src/store/error.rs",
        "src/sync/client.rs",
        "src/accounting/mod.rs",
        "src/audit.rs",
        "src/audit/check.rs",
        "src/mail/settings.rs",
        "src/mail/template.rs",
        "src/mail/message.rs",
        "src/mail/send.rs",
        "src/export/templates/mod.rs",
        "src/export/sources.rs",
        "src/lan/mod.rs",
    ] {
        let mut source = std::fs::read_to_string(root.join(file)).unwrap();
        if file == "src/mail/settings.rs" {
            // Only the settings errors' codes: `Security::as_str` names the kinds.
            source = source.split_once("impl SettingsError").unwrap().1.to_owned();
        }
        if file.starts_with("src/accounting") {
            // Only the batch errors' codes: the rest of the file names journals and kinds.
            source = source.split_once("impl BatchError").unwrap().1.to_owned();
        }
        for line in source.lines() {
            if let Some((code, _)) = line.split_once("=> \"").and_then(|(_, rest)| rest.split_once('"')) {
                codes.insert(code.to_owned());
            }
        }
    }
    // The intent rules refuse with `reject("code", …)`, the engine with `refuse("code", …)`
    // or `refused("code", …)`, sometimes over two lines; a sending's note with
    // `Err(("code", …))`.
    let mut sources = vec![
        ("src/sync/rules.rs".to_owned(), "reject("),
        ("src/store/mail.rs".to_owned(), "refused("),
        ("src/sync/protocol.rs".to_owned(), "Err(("),
    ];
    for entry in std::fs::read_dir(root.join("src/engine/worker")).unwrap() {
        let file = format!("src/engine/worker/{}", entry.unwrap().file_name().to_string_lossy());
        sources.extend([(file.clone(), "refuse("), (file, "refused(")]);
    }
    for (file, marker) in sources {
        let source = std::fs::read_to_string(root.join(file)).unwrap();
        for (_, rest) in source.match_indices(marker).map(|(i, _)| source.split_at(i + marker.len())) {
            let rest = rest.trim_start();
            if let Some(code) = rest.strip_prefix('"').and_then(|r| r.split_once('"')).map(|(code, _)| code) {
                codes.insert(code.to_owned());
            }
        }
    }
    // `ApiError::bad_request("code", …)`, `forbidden("code", …)`, `new(StatusCode::X, "code", …)`.
    // The sign-in guards answer 429 and 503 the same way.
    for api in [
        "api/account.rs",
        "api/companies.rs",
        "api/accounting.rs",
        "api/posting_parts.rs",
        "api/auth.rs",
        "api/limits.rs",
        "api/pairing.rs",
        "api/moves.rs",
        "api/health.rs",
        "hashing.rs",
        // The storage's refusals, as every handler answers them.
        "error.rs",
    ] {
        let source = std::fs::read_to_string(root.join("../server/src").join(api)).unwrap();
        for marker in [
            "bad_request(",
            "forbidden(",
            "StatusCode::CONFLICT,",
            "StatusCode::BAD_REQUEST,",
            "conflict(",
            "StatusCode::TOO_MANY_REQUESTS,",
            "StatusCode::SERVICE_UNAVAILABLE,",
            "StatusCode::PAYLOAD_TOO_LARGE,",
            "StatusCode::NOT_FOUND,",
            "StatusCode::GONE,",
            "StatusCode::UNAUTHORIZED,",
        ] {
            for (at, _) in source.match_indices(marker) {
                let rest = source[at + marker.len()..].trim_start();
                if let Some(code) = rest.strip_prefix('"').and_then(|r| r.split_once('"')).map(|(code, _)| code) {
                    codes.insert(code.to_owned());
                }
            }
        }
    }
    host_and_archive_codes(root, &mut codes);
    codes
}

/// The codes of the host's problems (the window shows them) and of company archives (the
/// API answers them).
fn host_and_archive_codes(root: &Path, codes: &mut BTreeSet<String>) {
    // The host's problems reach the window through their codes.
    for (file, block) in [
        ("../app/src/hosting.rs", Some("impl HostError")),
        ("../app/src/company_move.rs", Some("impl MoveError")),
        ("../app/src/update/mod.rs", Some("impl UpdateError")),
        ("../server/src/host_backup.rs", Some("impl HostBackupError")),
        ("../server/src/pairing.rs", Some("impl PairingError")),
        ("../app/src/local_host.rs", None),
        ("../app/src/app.rs", None),
        ("../app/src/wizard.rs", None),
        ("../app/src/screens/sharing.rs", None),
    ] {
        let source = std::fs::read_to_string(root.join(file)).unwrap();
        match block {
            Some(block) => {
                let body = source.split_once(block).unwrap().1.split_once("\n}\n").unwrap().0;
                for line in body.lines() {
                    if let Some((code, _)) = line.split_once("=> \"").and_then(|(_, rest)| rest.split_once('"')) {
                        codes.insert(code.to_owned());
                    }
                }
            }
            None => {
                for (at, _) in source.match_indices("HostProblem::new(\"") {
                    let rest = &source[at + "HostProblem::new(\"".len()..];
                    codes.insert(rest.split_once('"').unwrap().0.to_owned());
                }
            }
        }
    }
    // The archive's errors reach the API through their codes.
    let archive = std::fs::read_to_string(root.join("../server/src/company_archive.rs")).unwrap();
    let archive = archive.split_once("impl ArchiveError").unwrap().1.split_once("\n}\n").unwrap().0;
    for line in archive.lines() {
        if let Some((code, _)) = line.split_once("=> \"").and_then(|(_, rest)| rest.split_once('"')) {
            codes.insert(code.to_owned());
        }
    }
}

fn messages(locale: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../resources/locales").join(locale).join("errors.ftl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| line.strip_prefix("error-"))
        .map(|line| {
            let (id, message) = line.split_once(" = ").unwrap();
            assert!(!message.trim().is_empty(), "{locale}: error-{id} is empty");
            id.to_owned()
        })
        .collect()
}

#[test]
fn every_error_code_has_a_message_in_every_locale() {
    let codes = codes();
    assert!(codes.len() > 40, "the code extraction found {} codes", codes.len());
    assert!(codes.contains("document_not_editable") && codes.contains("article_code_taken"));
    for locale in ["fr", "en", "nl"] {
        let messages = messages(locale);
        let missing: Vec<_> = codes.difference(&messages).collect();
        let stale: Vec<_> = messages.difference(&codes).collect();
        assert!(missing.is_empty(), "{locale} lacks messages for {missing:?}");
        assert!(stale.is_empty(), "{locale} has messages for unknown codes {stale:?}");
    }
}
