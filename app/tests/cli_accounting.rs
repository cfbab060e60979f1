//! `comptoir export accounting`, run as a user would, on a demo company's file: the FEC
//! has its legal name and layout and balances, entry by entry and overall; the CSV holds
//! the same lines; bad arguments write nothing; the export is queued for the audit trail.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use comptoir_core::accounting::export::FEC_COLUMNS;
use comptoir_core::demo::{self, DemoSize};
use comptoir_core::model::Country;
use comptoir_core::store::{AppStore, CompanyStore, LocalCompany};
use comptoir_core::sync::{ExportKind, Intent};
use rust_decimal::Decimal;

/// A data folder with the small demo company; returns its name and file.
fn data_folder(dir: &Path) -> (String, std::path::PathBuf) {
    std::fs::create_dir_all(dir.join("companies")).unwrap();
    let company = demo::demo_company(5, &Country::France);
    let path = dir.join("companies").join(format!("{}.comptoir", company.id));
    let (store, _) = demo::create_demo_file(&path, 5, &Country::France, &DemoSize::SMALL).unwrap();
    drop(store);
    let app = AppStore::open(&dir.join(AppStore::FILE_NAME)).unwrap();
    app.upsert_company(&LocalCompany {
        company_id: company.id,
        account: None,
        name: company.legal_name.clone(),
        file_path: path.clone(),
        active: true,
    })
    .unwrap();
    (company.legal_name, path)
}

fn export(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .args(["export", "accounting", "--data"])
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn amount(text: &str) -> Decimal {
    text.replace(',', ".").parse().unwrap()
}

#[test]
fn the_fec_of_a_demo_company_balances_and_has_its_legal_name_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let (name, path) = data_folder(dir.path());
    let out = dir.path().join("fec");
    std::fs::create_dir(&out).unwrap();
    let output = export(
        dir.path(),
        &["--company", &name, "--format", "fec", "--to", "2099-12-31", "--out", out.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    // Named {SIREN}FEC{closing date}.txt.
    let mut store = CompanyStore::open(&path).unwrap();
    let siren: String = store
        .company()
        .unwrap()
        .national_id
        .unwrap()
        .to_string()
        .chars()
        .filter(char::is_ascii_digit)
        .take(9)
        .collect();
    assert_eq!(siren.len(), 9);
    let file = out.join(format!("{siren}FEC20991231.txt"));
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap().split('\t').collect::<Vec<_>>(), FEC_COLUMNS.to_vec());

    // Balanced per entry (journal and number) and overall.
    let mut entries: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
    let (mut debit, mut credit) = (Decimal::ZERO, Decimal::ZERO);
    for line in lines {
        let cells: Vec<&str> = line.split('\t').collect();
        assert_eq!(cells.len(), 18, "{line}");
        assert_eq!(cells[3].len(), 8, "dates as YYYYMMDD: {line}");
        let (d, c) = (amount(cells[11]), amount(cells[12]));
        let sums = entries.entry((cells[0].to_owned(), cells[2].to_owned())).or_default();
        sums.0 += d;
        sums.1 += c;
        debit += d;
        credit += c;
    }
    assert_eq!(debit, credit);
    assert!(debit > Decimal::ZERO);
    for (entry, (d, c)) in &entries {
        assert_eq!(d, c, "entry {entry:?} balances");
    }
    // One entry per issued invoice and credit note, and per payment.
    let sources: i64 = store
        .connection()
        .query_row(
            "SELECT (SELECT count(*) FROM documents WHERE kind IN ('invoice', 'credit_note') AND number IS NOT NULL)
                  + (SELECT count(*) FROM payments)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(i64::try_from(entries.len()).unwrap(), sources);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("{sources} entries")), "{stdout}");

    // The export waits in the outbox, to be written in the audit trail.
    let waiting = store.pending_mutations(10).unwrap();
    assert!(
        matches!(&waiting[..], [m] if matches!(&m.intent, Intent::RecordExport { export } if export.what == ExportKind::AccountingFec)),
        "{waiting:?}"
    );

    // The CSV holds the same lines.
    let csv = dir.path().join("ecritures.csv");
    let output = export(
        dir.path(),
        &["--company", &name, "--format", "csv", "--to", "2099-12-31", "--out", csv.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv_text.lines().count(), text.lines().count());
    assert!(csv_text.trim_start_matches('\u{feff}').starts_with("JournalCode;JournalLib;EcritureNum"));
}

#[test]
fn bad_arguments_are_refused_with_the_reason_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (name, _) = data_folder(dir.path());
    let out = dir.path().join("out.txt");
    let o = out.to_str().unwrap();
    for (args, reason) in [
        (vec!["--company", &name, "--format", "xls", "--out", o], "not fec or csv"),
        (
            vec!["--company", &name, "--format", "fec", "--from", "2026-12-01", "--to", "2026-11-01", "--out", o],
            "after",
        ),
        (vec!["--company", "Nobody", "--format", "fec", "--out", o], "no company"),
    ] {
        let output = export(dir.path(), &args);
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(reason), "{stderr}");
        assert!(!out.exists());
    }
}
