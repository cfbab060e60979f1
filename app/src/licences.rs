//! The crates and fonts the app ships, with their licence texts, as the « À propos de
//! Comptoir » dialog shows them ([`crate::screens::about`]).
//!
//! The list is `resources/licences.txt.gz`, written by `scripts/licences.sh` from
//! `Cargo.lock` and the crates' own licence files (its format is described in
//! `scripts/licences.py`), and built into the binary. It is read when the dialog first
//! needs it, off the UI thread: about 1.2 MB of text once decompressed.
//!
//! A test below walks `Cargo.lock` and fails when the list no longer matches it, so a
//! dependency cannot change without the list being written again.

use std::io::Read as _;
use std::sync::Arc;

/// The generated list, gzipped, as built into the binary.
const EMBEDDED: &[u8] = include_bytes!("../../resources/licences.txt.gz");

/// What a listed component is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComponentKind {
    /// A Rust crate compiled into the app.
    Crate,
    /// A font embedded in the app (the window's, the PDF documents').
    Font,
}

/// One crate or font the app ships.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Component {
    pub kind: ComponentKind,
    pub name: String,
    /// The crate's version; `None` for a font.
    pub version: Option<String>,
    /// The SPDX licence expression (`MIT OR Apache-2.0`).
    pub expression: String,
    /// Where its source is (the crate's repository, the font's home page).
    pub source: String,
    /// Its licence texts: an index into [`Licences::texts`] and the file it came from.
    pub texts: Vec<(usize, String)>,
    /// The SPDX ids whose canonical texts stand in for files the crate does not ship.
    pub canonical: Vec<String>,
}

impl Component {
    /// Whether the component matches a search (its name or licence contains every word
    /// of `query`, whatever the case).
    pub fn matches(&self, query: &str) -> bool {
        let haystack = format!("{} {}", self.name, self.expression).to_lowercase();
        query.to_lowercase().split_whitespace().all(|word| haystack.contains(word))
    }
}

/// The list: the components, then the distinct licence texts they refer to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Licences {
    pub components: Vec<Component>,
    /// Crates that `Cargo.lock` reaches from the app but that are not in its binary
    /// (dev- and build-dependencies, other platforms' crates): `(name, version)`.
    pub unshipped: Vec<(String, String)>,
    pub texts: Vec<String>,
}

/// Why the list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LicencesError {
    #[error("the licence list cannot be decompressed: {0}")]
    Decompress(#[from] std::io::Error),
    #[error("the licence list is malformed at line {line}: {reason}")]
    Malformed { line: usize, reason: &'static str },
}

impl Licences {
    /// The list built into the binary.
    pub fn embedded() -> Result<Self, LicencesError> {
        Self::from_gzip(EMBEDDED)
    }

    /// Reads a gzipped list.
    pub fn from_gzip(bytes: &[u8]) -> Result<Self, LicencesError> {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes).read_to_string(&mut text)?;
        Self::parse(&text)
    }

    /// Reads the list on a thread of its own; `wake` is called once it is there.
    pub fn load_in_background(wake: impl FnOnce() + Send + 'static) -> std::sync::mpsc::Receiver<LoadedLicences> {
        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new().name("licences".into()).spawn(move || {
            let started = std::time::Instant::now();
            let loaded = Self::embedded().map(Arc::new).map_err(|e| e.to_string());
            tracing::debug!(ms = started.elapsed().as_secs_f64() * 1000.0, "licence list read");
            // The dialog may have closed meanwhile: nobody to tell, nothing lost.
            let _ = sender.send(loaded);
            wake();
        });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "the licence list's thread did not start");
        }
        receiver
    }

    /// Parses the text of `resources/licences.txt` (see `scripts/licences.py`).
    pub fn parse(text: &str) -> Result<Self, LicencesError> {
        let mut licences = Self::default();
        let mut lines = text.lines().enumerate().map(|(n, line)| (n + 1, line));
        let malformed = |line, reason| LicencesError::Malformed { line, reason };
        while let Some((number, line)) = lines.next() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["crate" | "font", name, version, expression, source, texts, note] => {
                    let kind = if fields[0] == "crate" { ComponentKind::Crate } else { ComponentKind::Font };
                    let texts = texts
                        .split(',')
                        .map(|reference| {
                            let (id, file) =
                                reference.split_once(':').ok_or(malformed(number, "a text without file"))?;
                            let id: usize = id.parse().map_err(|_| malformed(number, "a text's number"))?;
                            let index = id.checked_sub(1).ok_or(malformed(number, "text 0"))?;
                            Ok((index, (*file).to_owned()))
                        })
                        .collect::<Result<Vec<_>, LicencesError>>()?;
                    let canonical = note
                        .strip_prefix("canonical:")
                        .map(|ids| ids.split('+').filter(|id| !id.is_empty()).map(str::to_owned).collect())
                        .unwrap_or_default();
                    if name.is_empty() || expression.is_empty() {
                        return Err(malformed(number, "a component without name or licence"));
                    }
                    licences.components.push(Component {
                        kind,
                        name: (*name).to_owned(),
                        version: (kind == ComponentKind::Crate).then(|| (*version).to_owned()),
                        expression: (*expression).to_owned(),
                        source: (*source).to_owned(),
                        texts,
                        canonical,
                    });
                }
                ["unshipped", name, version] => licences.unshipped.push(((*name).to_owned(), (*version).to_owned())),
                ["text", id, count] => {
                    let id: usize = id.parse().map_err(|_| malformed(number, "a text's number"))?;
                    if id != licences.texts.len() + 1 {
                        return Err(malformed(number, "texts out of order"));
                    }
                    let count: usize = count.parse().map_err(|_| malformed(number, "a text's line count"))?;
                    let mut body = Vec::with_capacity(count);
                    for _ in 0..count {
                        let (_, line) = lines.next().ok_or(malformed(number, "a text cut short"))?;
                        body.push(line);
                    }
                    licences.texts.push(body.join("\n"));
                }
                _ => return Err(malformed(number, "an unknown record")),
            }
        }
        let texts = licences.texts.len();
        if licences.components.iter().flat_map(|c| &c.texts).any(|(index, _)| *index >= texts) {
            return Err(malformed(0, "a component refers to a missing text"));
        }
        Ok(licences)
    }

    /// The components matching `query` (all of them when it is blank), in list order.
    pub fn search<'a>(&'a self, query: &'a str) -> impl Iterator<Item = (usize, &'a Component)> + 'a {
        self.components.iter().enumerate().filter(move |(_, c)| c.matches(query))
    }
}

/// The list read by [`Licences::load_in_background`], or why it could not be.
pub type LoadedLicences = Result<Arc<Licences>, String>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests: a panic is the failure report")]

    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// A package of Cargo.lock: its name and version.
    type Package = (String, String);

    /// The packages of a `Cargo.lock`: (name, version) → the `dependencies` entries, and
    /// whether it comes from a registry (not a workspace member).
    fn packages_of(lock: &str) -> BTreeMap<(String, String), (Vec<String>, bool)> {
        let mut packages = BTreeMap::new();
        for block in lock.split("[[package]]").skip(1) {
            let field = |key: &str| {
                block.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix(" = \"")?.strip_suffix('"')).unwrap()
            };
            let dependencies = block
                .split_once("dependencies = [")
                .map(|(_, rest)| rest.split(']').next().unwrap_or_default())
                .unwrap_or_default()
                .split(',')
                .map(|d| d.trim().trim_matches('"').to_owned())
                .filter(|d| !d.is_empty())
                .collect();
            let registry = block.lines().any(|l| l.starts_with("source = "));
            packages.insert((field("name").to_owned(), field("version").to_owned()), (dependencies, registry));
        }
        packages
    }

    /// Every package a `Cargo.lock` reaches from the app, whatever the kind of dependency
    /// or its platform, leaving out the workspace's own.
    fn reached_from_the_app(lock: &str) -> BTreeSet<(String, String)> {
        let packages = packages_of(lock);
        let resolve = |spec: &str| -> (String, String) {
            let mut parts = spec.split(' ');
            let name = parts.next().unwrap();
            let version = parts.next();
            let found: Vec<_> =
                packages.keys().filter(|(n, v)| n == name && version.is_none_or(|version| v == version)).collect();
            assert_eq!(found.len(), 1, "Cargo.lock names {spec} once");
            found[0].clone()
        };
        let mut seen = BTreeSet::new();
        let mut stack = vec![resolve("comptoir")];
        while let Some(package) = stack.pop() {
            if seen.insert(package.clone()) {
                stack.extend(packages[&package].0.iter().map(|spec| resolve(spec)));
            }
        }
        seen.retain(|package| packages[package].1);
        seen
    }

    /// What `licences` lacks for `lock`, and what it lists that `lock` no longer has;
    /// both empty when the list is up to date.
    fn differences(licences: &Licences, lock: &str) -> (Vec<Package>, Vec<Package>) {
        let listed: BTreeSet<(String, String)> = licences
            .components
            .iter()
            .filter(|c| c.kind == ComponentKind::Crate)
            .map(|c| (c.name.clone(), c.version.clone().unwrap_or_default()))
            .chain(licences.unshipped.iter().cloned())
            .collect();
        let reached = reached_from_the_app(lock);
        (reached.difference(&listed).cloned().collect(), listed.difference(&reached).cloned().collect())
    }

    fn workspace_lock() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.lock")).unwrap()
    }

    /// The list is stale as soon as `Cargo.lock` gains, loses or changes the version of a
    /// package the app reaches: each is either listed or known as not shipped.
    #[test]
    fn the_list_matches_cargo_lock() {
        let licences = Licences::embedded().unwrap();
        let (missing, gone) = differences(&licences, &workspace_lock());
        assert!(
            missing.is_empty() && gone.is_empty(),
            "resources/licences.txt.gz is stale: run scripts/licences.sh (not in it: {missing:?}; no longer in \
             Cargo.lock: {gone:?})"
        );
        let crates = licences.components.iter().filter(|c| c.kind == ComponentKind::Crate).count();
        assert!(crates > 500, "{crates} crates listed");
        for name in ["egui", "eframe", "rusqlite", "typst", "tokio"] {
            assert!(licences.components.iter().any(|c| c.name == name), "{name} is listed");
        }
    }

    /// The check above notices a changed version and a new dependency (cargo rewrites a
    /// hand-edited Cargo.lock before a test runs, so the edits are made in memory).
    #[test]
    fn a_changed_cargo_lock_makes_the_list_stale() {
        let licences = Licences::embedded().unwrap();
        let lock = workspace_lock();
        let itoa = licences.components.iter().find(|c| c.name == "itoa").unwrap();
        let version = itoa.version.clone().unwrap();
        let bumped =
            lock.replace(&format!("name = \"itoa\"\nversion = \"{version}\""), "name = \"itoa\"\nversion = \"99.0.0\"");
        let (missing, gone) = differences(&licences, &bumped);
        assert_eq!(missing, [("itoa".to_owned(), "99.0.0".to_owned())]);
        assert_eq!(gone, [("itoa".to_owned(), version)]);

        let app = concat!("name = \"comptoir\"\nversion = \"", env!("CARGO_PKG_VERSION"), "\"\ndependencies = [\n");
        let added = lock.replacen(app, &format!("{app} \"left-pad\",\n"), 1)
            + "\n[[package]]\nname = \"left-pad\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        assert_ne!(added, lock, "the app's entry in Cargo.lock was found");
        let (missing, gone) = differences(&licences, &added);
        assert_eq!(missing, [("left-pad".to_owned(), "1.0.0".to_owned())]);
        assert!(gone.is_empty(), "{gone:?}");
    }

    /// Every component has at least one licence text, and every text is a real one.
    #[test]
    fn every_listed_component_has_a_licence_text() {
        let licences = Licences::embedded().unwrap();
        for component in &licences.components {
            let sizes: Vec<usize> = component.texts.iter().map(|(index, _)| licences.texts[*index].len()).collect();
            assert!(sizes.iter().all(|size| *size > 0), "{} has an empty text", component.name);
            // A file may only point at the others ("MIT OR Apache-2.0"), but one at least
            // is a licence's terms.
            assert!(
                sizes.iter().any(|size| *size > 400),
                "{} has no licence's full text: {:?}",
                component.name,
                component.texts
            );
        }
        let used: BTreeSet<usize> = licences.components.iter().flat_map(|c| c.texts.iter().map(|t| t.0)).collect();
        assert_eq!(used.len(), licences.texts.len(), "every text belongs to a component");
        // A crate that ships its own files has them, not a canonical stand-in.
        let serde = licences.components.iter().find(|c| c.name == "serde").unwrap();
        assert!(serde.canonical.is_empty());
        assert!(serde.texts.iter().any(|(_, file)| file == "LICENSE-MIT"), "{:?}", serde.texts);
        // One that ships none says which canonical text stands in.
        let egui = licences.components.iter().find(|c| c.name == "egui").unwrap();
        assert_eq!(egui.canonical, ["Apache-2.0"]);
        assert!(licences.texts[egui.texts[0].0].contains("Apache License"));
    }

    /// The fonts the app embeds are listed with their own licence files.
    #[test]
    fn the_embedded_fonts_are_listed_with_their_licences() {
        let licences = Licences::embedded().unwrap();
        let dejavu = licences.components.iter().find(|c| c.name.starts_with("DejaVu Sans")).unwrap();
        assert_eq!(dejavu.kind, ComponentKind::Font);
        let ours =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../resources/fonts/DejaVu-LICENSE.txt"));
        let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(words(&licences.texts[dejavu.texts[0].0]), words(&ours.unwrap()));
        let fonts: Vec<&str> =
            licences.components.iter().filter(|c| c.kind == ComponentKind::Font).map(|c| c.name.as_str()).collect();
        assert!(fonts.iter().any(|f| f.starts_with("Ubuntu Light")), "egui's own fonts: {fonts:?}");
    }

    #[test]
    fn search_matches_names_and_licences_whatever_the_case() {
        let licences = Licences::embedded().unwrap();
        let egui: Vec<&str> = licences.search("EGUI").map(|(_, c)| c.name.as_str()).collect();
        assert!(egui.contains(&"egui") && egui.contains(&"egui_extras"), "{egui:?}");
        assert!(licences.search("bsl-1.0").all(|(_, c)| c.expression.contains("BSL-1.0")));
        assert!(licences.search("bsl-1.0").next().is_some());
        assert_eq!(licences.search("  ").count(), licences.components.len());
        assert_eq!(licences.search("no such crate").count(), 0);
    }

    /// A damaged list is an error, never a panic.
    #[test]
    fn a_malformed_list_is_refused() {
        for (text, reason) in [
            ("text\t1\t5\nonly one line", "a text cut short"),
            ("crate\ta\t1.0\tMIT\thttps://x\t2:LICENSE\t\ntext\t1\t1\nx", "a component refers to a missing text"),
            ("crate\ta\t1.0\tMIT\thttps://x\tLICENSE\t", "a text without file"),
            ("crate\ta\t1.0\tMIT\thttps://x\t0:LICENSE\t", "text 0"),
            ("text\t2\t0", "texts out of order"),
            ("licence\tnope", "an unknown record"),
        ] {
            match Licences::parse(text) {
                Err(LicencesError::Malformed { reason: found, .. }) => assert_eq!(found, reason, "{text:?}"),
                other => panic!("{text:?} gave {other:?}"),
            }
        }
        assert!(matches!(Licences::from_gzip(b"not gzip"), Err(LicencesError::Decompress(_))));
    }
}
