//! The whole import, from bytes to a report: real rows, every kind of refusal, and
//! hostile files that must give a clear error and never a panic.

use rust_decimal_macros::dec;

use super::*;
use crate::model::{ContactKind, Country, VatRate};

fn contacts() -> ImportOptions {
    ImportOptions::for_country(ImportKind::Contacts, Country::France)
}

fn articles() -> ImportOptions {
    ImportOptions::for_country(ImportKind::Articles, Country::Belgium)
}

/// The report of `bytes` imported as `options` say, with the guessed mapping.
fn report(bytes: &[u8], options: &ImportOptions, existing: &ExistingKeys) -> Result<Report, ImportError> {
    let sheet = read_sheet(bytes)?;
    let mapping = guess_mapping(options.kind, &sheet.headers);
    check(&sheet, &mapping, options, existing)
}

fn refusals(report: &Report) -> Vec<(usize, &'static str, Option<Field>)> {
    report.refused().map(|(line, r)| (line, r.code, r.field)).collect()
}

const CONTACTS: &str = "\
Raison sociale;E-mail;N° TVA;Adresse;Code postal;Ville;Pays;Type;Délai de paiement
Boulangerie Martin;contact@martin.fr;FR40303265045;12 rue de la Paix;75002;Paris;France;Société;30
Jean Dupont;jean@dupont.be;;3 Grand-Place;1000;Bruxelles;BE;particulier;
Bad Vat;bad@vat.fr;FR00303265045;1 rue A;75001;Paris;;;
;noname@x.fr;;1 rue B;75001;Paris;;;
Bad Mail;pas-un-mail;;1 rue C;75001;Paris;;;
No Street;nostreet@x.fr;;;75001;Paris;;;
Bad Country;country@x.fr;;1 rue D;75001;Paris;Atlantide;;
Bad Terms;terms@x.fr;;1 rue E;75001;Paris;;;500
\"Unbalanced;quote@x.fr;;1 rue F;75001;Paris;;;
Same Vat Again;other@martin.fr;FR 40 303 265 045;9 rue G;75009;Paris;;;
Same Mail;JEAN@DUPONT.BE;;4 rue H;1000;Bruxelles;BE;;
Belge sans préfixe;;0403.170.701;Rue Neuve 1;1000;Bruxelles;Belgique;;
";

#[test]
fn contacts_are_checked_by_the_models_rules_with_their_line_numbers() {
    let report = report(CONTACTS.as_bytes(), &contacts(), &ExistingKeys::default()).unwrap();
    let ready: Vec<_> = report.ready().collect();
    assert_eq!(ready.iter().map(|(line, _)| *line).collect::<Vec<_>>(), [2, 3, 13]);
    let NewRecord::Contact(martin) = ready[0].1 else { panic!("a contact") };
    assert_eq!(martin.name, "Boulangerie Martin");
    assert_eq!(martin.kind, ContactKind::Company);
    assert_eq!(martin.vat_number.as_ref().unwrap().as_str(), "FR40303265045");
    assert_eq!(martin.billing_address.country, Country::France);
    assert_eq!(martin.payment_terms_days, Some(30));
    assert!(martin.is_customer && !martin.is_supplier);
    let NewRecord::Contact(dupont) = ready[1].1 else { panic!("a contact") };
    assert_eq!(dupont.kind, ContactKind::Person);
    assert_eq!(dupont.billing_address.country, Country::Belgium);
    assert_eq!(dupont.vat_number, None);
    let NewRecord::Contact(belge) = ready[2].1 else { panic!("a contact") };
    assert_eq!(belge.vat_number.as_ref().unwrap().as_str(), "BE0403170701");
    assert_eq!(
        refusals(&report),
        [
            (4, "vat_number_invalid", Some(Field::VatNumber)),
            (5, "field_required", Some(Field::Name)),
            (6, "email_invalid", Some(Field::Email)),
            (7, "field_required", Some(Field::Street)),
            (8, "country_invalid", Some(Field::Country)),
            (9, "import_payment_terms_invalid", Some(Field::PaymentTerms)),
            (10, "import_unbalanced_quotes", None),
        ]
    );
    // The same VAT number written otherwise, the same email in capitals: already there.
    assert_eq!(report.already_there(), 2);
    assert!(
        report
            .rows
            .iter()
            .any(|r| r.line == 12 && r.outcome == Outcome::AlreadyThere { key: "email:jean@dupont.be".into() })
    );
}

#[test]
fn importing_the_same_file_again_finds_everything_already_there() {
    let first = report(CONTACTS.as_bytes(), &contacts(), &ExistingKeys::default()).unwrap();
    let mut existing = ExistingKeys::default();
    for (_, record) in first.ready() {
        let NewRecord::Contact(contact) = record else { panic!("a contact") };
        for key in super::rows::tests_keys(contact) {
            existing.insert(key);
        }
    }
    let again = report(CONTACTS.as_bytes(), &contacts(), &existing).unwrap();
    assert_eq!(again.ready().count(), 0);
    assert_eq!(again.already_there(), 5);
    assert_eq!(again.refused().count(), 7, "refused rows stay refused");
}

#[test]
fn articles_with_decimal_commas_windows_1252_and_default_rates() {
    // As Excel saves "CSV (séparateur : point-virgule)" on a French Windows.
    let text = "Référence;Désignation;Unité;Prix HT;Taux TVA\r\n\
                DEV-JOUR;Journée de développement;jour;650,00 €;21\r\n\
                KWH;Électricité;kWh;0,125;6 %\r\n\
                MILLE;Forfait annuel;;1.234,50;\r\n\
                SUISSE;Conseil;h;1'234.5;8,1\r\n\
                dev-jour;Doublon en minuscules;jour;1;21\r\n\
                NEG;Négatif;h;-1;21\r\n\
                HUGE;Trop cher;h;1000000000000;21\r\n\
                FINE;Trop précis;h;0,1234567;21\r\n\
                RATE;Mauvais taux;h;10;120\r\n\
                TEXT;Pas un prix;h;dix euros;21\r\n\
                BAD CODE;Espace dans le code;h;10;21\r\n\
                NONAME;;h;10;21\r\n\
                NOPRICE;Sans prix;h;;21\r\n";
    let bytes: Vec<u8> = text
        .chars()
        .map(|c| match c {
            '€' => 0x80,
            c => u8::try_from(u32::from(c)).unwrap(),
        })
        .collect();
    let sheet = read_sheet(&bytes).unwrap();
    assert_eq!(sheet.encoding, Encoding::Windows1252);
    let report = report(&bytes, &articles(), &ExistingKeys::default()).unwrap();
    let ready: Vec<_> = report
        .ready()
        .map(|(line, r)| {
            let NewRecord::Article(a) = r else { panic!("an article") };
            (line, a.code.clone(), a.name.clone(), a.unit.clone(), a.unit_price, a.vat_rate.percent())
        })
        .collect();
    assert_eq!(
        ready,
        [
            (2, "DEV-JOUR".into(), "Journée de développement".into(), "jour".into(), dec!(650.00), dec!(21)),
            (3, "KWH".into(), "Électricité".into(), "kWh".into(), dec!(0.125), dec!(6)),
            (4, "MILLE".into(), "Forfait annuel".into(), String::new(), dec!(1234.50), dec!(21)),
            (5, "SUISSE".into(), "Conseil".into(), "h".into(), dec!(1234.5), dec!(8.1)),
        ]
    );
    assert_eq!(report.already_there(), 1);
    assert_eq!(
        refusals(&report),
        [
            (7, "unit_price_negative", Some(Field::UnitPrice)),
            (8, "unit_price_out_of_range", Some(Field::UnitPrice)),
            (9, "value_too_precise", Some(Field::UnitPrice)),
            (10, "vat_rate_invalid", Some(Field::VatRate)),
            (11, "import_number_invalid", Some(Field::UnitPrice)),
            (12, "article_code_invalid", Some(Field::Code)),
            (13, "field_required", Some(Field::ArticleName)),
            (14, "field_required", Some(Field::UnitPrice)),
        ]
    );
    let none = ImportOptions { default_vat_rate: None, ..articles() };
    let report =
        super::check(&sheet, &guess_mapping(ImportKind::Articles, &sheet.headers), &none, &ExistingKeys::default())
            .unwrap();
    assert!(
        report.refused().any(|(line, r)| line == 4 && r.code == "field_required" && r.field == Some(Field::VatRate))
    );
    assert_eq!(VatRate::rates_of(&Country::Belgium)[0].percent(), dec!(21));
}

#[test]
fn numbers_as_spreadsheets_write_them() {
    for (text, expected) in [
        ("1234", Some(dec!(1234))),
        ("1 234,56", Some(dec!(1234.56))),
        ("1\u{202F}234,56 €", Some(dec!(1234.56))),
        ("1.234,56", Some(dec!(1234.56))),
        ("1,234.56", Some(dec!(1234.56))),
        ("1.234.567", Some(dec!(1234567))),
        ("1'234.50 CHF", Some(dec!(1234.50))),
        ("20 %", Some(dec!(20))),
        ("-3,5", Some(dec!(-3.5))),
        ("1,2,3", None),
        ("", None),
        ("abc", None),
        ("1e5", None),
        ("99999999999999999999999999999999999", None),
        (&"9".repeat(41), None),
    ] {
        assert_eq!(parse_number(text), expected, "{text:?}");
    }
}

#[test]
fn a_column_the_records_need_must_be_mapped() {
    let sheet = read_sheet(b"Nom;Ville\nMartin;Lyon\n").unwrap();
    let mapping = guess_mapping(ImportKind::Contacts, &sheet.headers);
    let error = check(&sheet, &mapping, &contacts(), &ExistingKeys::default()).unwrap_err();
    assert_eq!(error.code(), "import_column_missing");
    assert!(error.to_string().contains("street"), "{error}");
}

#[test]
fn a_row_with_more_cells_than_columns_is_refused() {
    let text = "Code,Désignation,Prix\nA,Vis, écrou,2\nB,Clou,1,,\n";
    let report = report(text.as_bytes(), &articles(), &ExistingKeys::default()).unwrap();
    assert_eq!(refusals(&report), [(2, "import_too_many_cells", None)]);
    assert_eq!(report.ready().count(), 1, "empty trailing cells are fine");
}

#[test]
fn oversized_files_are_refused_before_they_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.csv");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_FILE_BYTES + 1).unwrap();
    assert_eq!(read_file(&path).unwrap_err().code(), "import_too_large");
    assert_eq!(read_file(&dir.path().join("missing.csv")).unwrap_err().code(), "import_read");
    std::fs::write(&path, "Code;Désignation;Prix\nA;B;1\n").unwrap();
    assert_eq!(read_file(&path).unwrap().len(), "Code;Désignation;Prix\nA;B;1\n".len());
}

/// `SplitMix64`, for repeatable random files.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

/// Imports `bytes` both ways; whatever they are, the answer is a report whose every
/// row has a line in the file, or an error with a code and a message.
fn import_never_panics(bytes: &[u8]) {
    for options in [contacts(), articles()] {
        match report(bytes, &options, &ExistingKeys::default()) {
            Ok(report) => {
                let lines = bytes.iter().filter(|b| **b == b'\n' || **b == b'\r').count() + 1;
                for row in &report.rows {
                    assert!(row.line >= 2 && row.line <= lines, "line {} of {lines}", row.line);
                }
                for (_, refusal) in report.refused() {
                    assert!(!refusal.code.is_empty() && !refusal.message.is_empty());
                }
            }
            Err(error) => assert!(!error.code().is_empty() && !error.to_string().is_empty()),
        }
    }
}

#[test]
fn hostile_files_give_clear_errors() {
    let long_field = format!("Code;Désignation;Prix\nA;{};1\n", "x".repeat(2_000_000));
    let cases: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("empty", Vec::new(), Some("import_empty")),
        ("only a BOM", vec![0xEF, 0xBB, 0xBF], Some("import_empty")),
        ("blank lines", b"\r\n\n \n".to_vec(), Some("import_empty")),
        ("only a header", "Code;Désignation;Prix\r\n".into(), Some("import_no_rows")),
        ("a header in an open quote", b"\"Code;Prix\nA;1\n".to_vec(), Some("import_bad_header")),
        ("UTF-16", vec![0xFF, 0xFE, b'C', 0, b'o', 0], Some("import_utf16")),
        ("an xlsx", b"PK\x03\x04\x14\x00\x06\x00".to_vec(), Some("import_not_text")),
        ("only quotes", b"\"\"\"\"\"\"\"".to_vec(), Some("import_bad_header")),
        ("a very long field", long_field.into_bytes(), None),
        ("invalid UTF-8 read as 1252", b"Code;D\xE9signation;Prix\nA;\xC3\x28\xFF;1\n".to_vec(), None),
        ("a lone CR file", b"Code;Designation;Prix\rA;B;1\rC;D;2".to_vec(), None),
        ("a separator storm", format!("Code;Désignation;Prix\nA;B;1\n{}", ";".repeat(100_000)).into_bytes(), None),
    ];
    for (what, bytes, expected) in cases {
        let result = report(&bytes, &articles(), &ExistingKeys::default());
        if let Some(code) = expected {
            assert_eq!(result.map(|_| ()).unwrap_err().code(), code, "{what}");
        } else {
            let report = result.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(!report.rows.is_empty(), "{what}");
        }
        import_never_panics(&bytes);
    }
    let report = report(b"Code;Designation;Prix\rA;B;1\rC;D;2", &articles(), &ExistingKeys::default()).unwrap();
    assert_eq!(report.ready().map(|(line, _)| line).collect::<Vec<_>>(), [2, 3]);
    let long = format!("Code;Désignation;Prix\nA;{};1\n", "x".repeat(2_000_000));
    let report = super::rows::check(
        &read_sheet(long.as_bytes()).unwrap(),
        &vec![Some(Field::Code), Some(Field::ArticleName), Some(Field::UnitPrice)],
        &articles(),
        &ExistingKeys::default(),
    )
    .unwrap();
    assert_eq!(refusals(&report), [(2, "field_too_long", Some(Field::ArticleName))]);
}

/// Random files built from the characters that matter to a CSV parser, and random bytes.
#[test]
fn random_files_never_panic() {
    let alphabet: &[&[u8]] = &[
        b"\"",
        b";",
        b",",
        b"\t",
        b"\n",
        b"\r\n",
        b"\r",
        b"a",
        b"Nom",
        b"Code",
        b"Prix",
        b"1,5",
        b"-",
        b"FR40303265045",
        b"x@y.fr",
        b"\xE9",
        b"\xC3\xA9",
        b"\x80",
        b" ",
        b"\"\"",
        b"\xEF\xBB\xBF",
        b"9999999999999999999999999999999",
    ];
    let mut rng = Rng(0x00C0_FFEE);
    for _ in 0..2_000 {
        let mut bytes = Vec::new();
        for _ in 0..rng.below(80) {
            if rng.below(10) == 0 {
                bytes.push(u8::try_from(rng.below(256)).unwrap());
            } else {
                bytes.extend_from_slice(alphabet[rng.below(alphabet.len())]);
            }
        }
        import_never_panics(&bytes);
    }
}
