//! `comptoir export audit`, run as a user would, on a real company file; the workbook is
//! read back by an independent reader (calamine) and compared with the trail.

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is the failure report")]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::AtomicBool;

use calamine::{Data, DataType as _, Reader as _, Xlsx, open_workbook};
use chrono::{NaiveDate, TimeZone as _, Utc};
use comptoir_core::audit::AuditRecord;
use comptoir_core::demo::{self, AUDIT_USERS};
use comptoir_core::export::{AuditColumns, AuditExportOptions, export_audit_xlsx};
use comptoir_core::model::Country;
use comptoir_core::store::{AppStore, AuditFilter, CompanyStore, LocalCompany};

const RECORDS: u64 = 3_000;

/// A data folder with one company whose trail holds `RECORDS` records from January 2026.
fn data_folder(dir: &Path) -> (CompanyStore, String) {
    let company = demo::demo_company(3, &Country::France);
    std::fs::create_dir_all(dir.join("companies")).unwrap();
    let path = dir.join("companies").join(format!("{}.comptoir", company.id));
    let mut store = CompanyStore::create(&path, &company).unwrap();
    demo::fill_audit_trail(&mut store, 7, RECORDS, Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap()).unwrap();
    let app = AppStore::open(&dir.join(AppStore::FILE_NAME)).unwrap();
    app.upsert_company(&LocalCompany {
        company_id: company.id,
        account: None,
        name: company.legal_name.clone(),
        file_path: path,
        active: true,
    })
    .unwrap();
    (store, company.legal_name)
}

fn export(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_comptoir"))
        .args(["export", "audit", "--data"])
        .arg(data)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// Every sheet's rows, header first, by sheet name.
fn read_back(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    workbook
        .sheet_names()
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).unwrap();
            (name, range.rows().map(<[Data]>::to_vec).collect())
        })
        .collect()
}

/// The row's cells match the record: number, date and time (a real date cell, in the
/// local time zone), user, action, record, changed fields.
fn assert_row_is(row: &[Data], record: &AuditRecord) {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "small whole numbers")]
    let seq = row[0].get_float().unwrap() as u64;
    assert_eq!(seq, record.seq);
    assert!(row[1].is_datetime(), "row {seq}: the date is a date cell, not text: {:?}", row[1]);
    let at = row[1].as_datetime().unwrap();
    let expected = record.at.with_timezone(&chrono::Local).naive_local();
    assert!((at - expected).num_milliseconds().abs() < 1_000, "row {seq}: {at} ≠ {expected}");
    assert_eq!(row[2].get_string(), Some(record.user_email.as_str()));
    assert_eq!(row[3].get_string(), Some(record.action.as_str()));
    assert_eq!(row[4].get_string().unwrap_or_default(), record.entity);
    for change in &record.changes {
        assert!(row[6].get_string().unwrap().contains(&change.field), "row {seq} names {}", change.field);
    }
    assert_eq!(row[7].get_string(), Some(record.hash.as_str()));
}

fn trail(store: &CompanyStore, filter: &AuditFilter) -> Vec<AuditRecord> {
    let mut records = Vec::new();
    store
        .for_each_audit(filter, |r| -> Result<bool, comptoir_core::store::StoreError> {
            records.push(r);
            Ok(true)
        })
        .unwrap();
    records
}

#[test]
fn the_whole_trail_is_exported_and_read_back_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let (store, name) = data_folder(dir.path());
    let out = dir.path().join("journal.xlsx");
    let output = export(dir.path(), &["--company", &name, "--out", out.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("3000 records in 1 sheet(s)"));

    let sheets = read_back(&out);
    assert_eq!(sheets.len(), 1);
    let (sheet, rows) = &sheets[0];
    assert_eq!(sheet, "Journal d'audit");
    let header: Vec<_> = rows[0].iter().map(|c| c.get_string().unwrap_or_default().to_owned()).collect();
    assert_eq!(header[..4], ["N°", "Date et heure", "Utilisateur", "Action"]);
    let records = trail(&store, &AuditFilter::default());
    assert_eq!(records.len() as u64, RECORDS);
    assert_eq!(rows.len() - 1, records.len(), "one row per record");
    for (row, record) in rows[1..].iter().zip(&records) {
        assert_row_is(row, record);
    }
}

#[test]
fn a_filtered_export_keeps_one_users_actions_in_a_period() {
    let dir = tempfile::tempdir().unwrap();
    let (store, name) = data_folder(dir.path());
    let out = dir.path().join("compta.xlsx");
    let (from, to) = ("2026-01-06", "2026-01-09");
    let user = AUDIT_USERS[2];
    let output = export(
        dir.path(),
        &["--company", &name, "--user", user, "--from", from, "--to", to, "--out", out.to_str().unwrap()],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let filter = AuditFilter {
        from: NaiveDate::parse_from_str(from, "%Y-%m-%d").ok(),
        to: NaiveDate::parse_from_str(to, "%Y-%m-%d").ok(),
        user_email: Some(user.to_owned()),
        ..AuditFilter::default()
    };
    let records = trail(&store, &filter);
    assert!(records.len() > 10 && (records.len() as u64) < RECORDS / 4, "{} records", records.len());
    let rows = &read_back(&out)[0].1;
    assert_eq!(rows.len() - 1, records.len());
    for (row, record) in rows[1..].iter().zip(&records) {
        assert_row_is(row, record);
        assert_eq!(row[2].get_string(), Some(user));
    }
}

#[test]
fn bad_arguments_are_refused_with_the_reason_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_store, name) = data_folder(dir.path());
    let out = dir.path().join("refused.xlsx");
    let unknown = export(dir.path(), &["--company", "Société inconnue", "--out", out.to_str().unwrap()]);
    assert!(!unknown.status.success());
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("no company “Société inconnue”") && stderr.contains(&name), "{stderr}");
    let backwards = export(
        dir.path(),
        &["--company", &name, "--from", "2026-02-01", "--to", "2026-01-01", "--out", out.to_str().unwrap()],
    );
    assert!(!backwards.status.success());
    assert!(String::from_utf8_lossy(&backwards.stderr).contains("is after --to"));
    let elsewhere = export(&dir.path().join("nowhere"), &["--company", &name, "--out", out.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&elsewhere.stderr).contains("holds no Comptoir data"));
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_long_trail_continues_on_further_sheets_and_a_cancelled_export_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = data_folder(dir.path());
    let out = dir.path().join("sheets.xlsx");
    let options = AuditExportOptions { rows_per_sheet: 1_000, ..AuditExportOptions::new(AuditColumns::english()) };
    let mut updates = Vec::new();
    let report = export_audit_xlsx(&store, &AuditFilter::default(), &options, &out, &AtomicBool::new(false), |p| {
        updates.push(p);
    })
    .unwrap();
    assert_eq!((report.rows, report.sheets), (RECORDS, 3));
    assert_eq!(updates.last().map(|p| (p.written, p.total)), Some((RECORDS, RECORDS)));
    let sheets = read_back(&out);
    let names: Vec<&str> = sheets.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["Audit trail", "Audit trail (2)", "Audit trail (3)"]);
    let records = trail(&store, &AuditFilter::default());
    let rows: Vec<&Vec<Data>> = sheets.iter().flat_map(|(_, rows)| rows.iter().skip(1)).collect();
    assert_eq!(rows.len(), records.len(), "every sheet has its header, and every record is once");
    for (row, record) in rows.iter().zip(&records) {
        assert_row_is(row, record);
    }

    let cancelled = dir.path().join("cancelled.xlsx");
    let error =
        export_audit_xlsx(&store, &AuditFilter::default(), &options, &cancelled, &AtomicBool::new(true), |_| {})
            .unwrap_err();
    assert_eq!(error.code(), "export_cancelled");
    assert!(!cancelled.exists());
}
