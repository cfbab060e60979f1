#!/usr/bin/env python3
"""Writes resources/licences.txt.gz: the crates and fonts the app ships, and their licences.

Called by scripts/licences.sh (see there for when to run it). Standard library only.

What is listed: the packages reachable from the `comptoir` package through normal
dependencies (not dev- nor build-dependencies) on the platforms we ship, as `cargo
metadata --filter-platform` resolves them for each, kept to those `cargo tree -p
comptoir -e normal --target ...` names: `cargo metadata` resolves features for the whole
workspace, so it also reaches crates that only the tests' or the server's features pull
in (glow, quinn, a D-Bus library: about 40), which `cargo build -p comptoir`, the build
the installers ship, leaves out. Our own workspace crates are Comptoir itself and not
listed. Every other package reachable from `comptoir` in
Cargo.lock (dev- and build-dependencies, other platforms' crates) is written on an
`unshipped` line, so that a test can tell from Cargo.lock alone whether the file is
stale (app/src/licences.rs).

Licence texts are the crates' own files (LICENSE*, LICENCE*, COPYING*, COPYRIGHT*,
UNLICENSE*, NOTICE*, a LICENSES/ folder, the manifest's `license-file`), deduplicated
when identical but for white space. A crate that ships none gets the canonical text of
one licence its SPDX expression allows (scripts/spdx/; its copyright holders are the
authors its manifest names), and its line says so.

The file format, one record a line, fields separated by tabs:

    crate   NAME  VERSION  SPDX-EXPRESSION  REPOSITORY  TEXTS  NOTE
    font    NAME  -        SPDX-EXPRESSION  SOURCE      TEXTS  NOTE
    unshipped  NAME  VERSION
    text    ID    LINE-COUNT
    ...LINE-COUNT lines of the text...

TEXTS is a comma-separated list of ID:FILE-NAME; NOTE is empty, or
`canonical:SPDX-ID` when the text is the canonical one rather than the crate's own.
Lines starting with `#` before the first record are comments.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Gzip (level 9, no name, no time stamp: the same input gives the same bytes): the text
# is about 1.2 MB, mostly the many copies of Apache-2.0 and MIT that differ by a
# copyright line; compressed it is about a tenth. Read it with `zcat`.
OUT = ROOT / "resources" / "licences.txt.gz"
SPDX_DIR = ROOT / "scripts" / "spdx"
APP = "comptoir"

# The platforms the app is built for: Linux, Windows (the cross-compiled GNU build and
# the hosted CI's MSVC one), macOS on Intel and Apple silicon.
TARGETS = [
    "x86_64-unknown-linux-gnu",
    "x86_64-pc-windows-gnu",
    "x86_64-pc-windows-msvc",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
]

LICENCE_FILE = re.compile(r"^(licen[cs]e|copying|copyright|unlicense|notice)", re.IGNORECASE)

# The canonical texts we keep (scripts/spdx/ID.txt), in the order a fallback prefers
# them when an expression offers a choice.
CANONICAL_PREFERENCE = ["Apache-2.0", "MIT", "BSL-1.0", "0BSD"]

# Fonts the binary embeds besides the crates' code: (name, SPDX expression, where it
# comes from, licence files relative to the repository or to a crate's folder).
REPO_FONTS = [
    (
        "DejaVu Sans, DejaVu Sans Bold (window and PDF documents)",
        "Bitstream-Vera",
        "https://dejavu-fonts.github.io/",
        ["resources/fonts/DejaVu-LICENSE.txt"],
    ),
]
# egui's default fonts, embedded by the crate epaint_default_fonts (the window falls
# back on them for symbols DejaVu lacks): (name, SPDX expression, source, files in the
# crate's folder, the crate feature that embeds it or None).
CRATE_FONTS = {
    "epaint_default_fonts": [
        ("Ubuntu Light (egui)", "Ubuntu-font-1.0", "https://design.ubuntu.com/font", ["fonts/UFL.txt"], None),
        (
            "Hack (egui)",
            "MIT AND Bitstream-Vera",
            "https://github.com/source-foundry/Hack",
            ["fonts/Hack-Regular.txt"],
            None,
        ),
        (
            "egui icons (egui, from emoji-icon-font)",
            "MIT",
            "https://github.com/jslegers/emoji-icon-font",
            ["fonts/egui-icons.txt", "fonts/emoji-icon-font-mit-license.txt"],
            None,
        ),
        (
            "Noto Emoji (egui)",
            "OFL-1.1",
            "https://github.com/googlefonts/noto-emoji",
            ["fonts/OFL.txt"],
            "monochrome_emoji_fonts",
        ),
        (
            "emoji-icon-font (egui)",
            "MIT",
            "https://github.com/jslegers/emoji-icon-font",
            ["fonts/emoji-icon-font-mit-license.txt"],
            "monochrome_emoji_fonts",
        ),
    ],
}


# Licence texts some crates ship outside the usual file names, by SPDX id.
OWN_TEXTS = {
    "epaint_default_fonts": {"OFL-1.1": "fonts/OFL.txt", "Ubuntu-font-1.0": "fonts/UFL.txt"},
}


def cargo_metadata(target: str) -> dict:
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", target],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def built_with_the_app(target: str) -> set[tuple[str, str]]:
    """(name, version) of every package `cargo build -p comptoir --target TARGET` builds
    into the binary: normal dependencies, with the features that build alone enables."""
    out = subprocess.run(
        ["cargo", "tree", "--locked", "-p", APP, "-e", "normal", "--target", target, "--prefix", "none", "-f", "{p}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    packages = set()
    for line in out.splitlines():
        parts = line.split(" ")
        if len(parts) >= 2 and parts[1].startswith("v"):
            packages.add((parts[0], parts[1][1:]))
    return packages


def shipped_packages() -> tuple[dict[str, dict], set[str]]:
    """The packages the app ships on any of TARGETS (by id, with the `features` enabled on
    any of them), and the workspace's ids."""
    shipped: dict[str, dict] = {}
    workspace: set[str] = set()
    for target in TARGETS:
        meta = cargo_metadata(target)
        workspace.update(meta["workspace_members"])
        packages = {p["id"]: p for p in meta["packages"]}
        nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
        roots = [i for i, p in packages.items() if p["name"] == APP and i in meta["workspace_members"]]
        if len(roots) != 1:
            sys.exit(f"licences: no single workspace package named {APP}")
        seen: set[str] = set()
        stack = list(roots)
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            for dep in nodes[node]["deps"]:
                if any(kind["kind"] is None for kind in dep["dep_kinds"]):
                    stack.append(dep["pkg"])
        built = built_with_the_app(target)
        for node in seen:
            if (packages[node]["name"], packages[node]["version"]) not in built:
                continue
            package = shipped.setdefault(node, {**packages[node], "features": set()})
            package["features"].update(nodes[node]["features"])
    return shipped, workspace


def lock_closure() -> set[tuple[str, str]]:
    """Every (name, version) reachable from the app in Cargo.lock, whatever the kind or
    platform of the dependency: the same walk the staleness test makes."""
    lock = tomllib.loads((ROOT / "Cargo.lock").read_text(encoding="utf-8"))
    by_name: dict[str, list[dict]] = {}
    for package in lock["package"]:
        by_name.setdefault(package["name"], []).append(package)

    def resolve(spec: str) -> tuple[str, str]:
        parts = spec.split(" ")
        candidates = by_name[parts[0]]
        if len(parts) > 1:
            candidates = [p for p in candidates if p["version"] == parts[1]]
        if len(candidates) != 1:
            sys.exit(f"licences: Cargo.lock names {spec!r} ambiguously")
        return candidates[0]["name"], candidates[0]["version"]

    versions = {(p["name"], p["version"]): p for p in lock["package"]}
    start = resolve(APP)
    seen: set[tuple[str, str]] = set()
    stack = [start]
    while stack:
        key = stack.pop()
        if key in seen:
            continue
        seen.add(key)
        stack.extend(resolve(spec) for spec in versions[key].get("dependencies", []))
    return seen


def read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def licence_files(package: dict) -> list[Path]:
    folder = Path(package["manifest_path"]).parent
    files: list[Path] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not LICENCE_FILE.match(entry.name):
            continue
        if entry.is_file():
            files.append(entry)
        elif entry.is_dir():
            files.extend(sorted((f for f in entry.iterdir() if f.is_file()), key=lambda p: p.name))
    declared = package.get("license_file")
    if declared:
        path = (folder / declared).resolve()
        if path.is_file() and path not in [f.resolve() for f in files]:
            files.append(path)
    return files


def spdx_choice(expression: str, own: dict[str, str]) -> list[str]:
    """The licences whose texts stand for `expression` when a crate ships no licence file:
    every term of an AND, and of an OR the alternative we have texts for that comes first
    (the crate's `own` files for some ids, then CANONICAL_PREFERENCE)."""
    ranks = {i: n for n, i in enumerate([*own, *CANONICAL_PREFERENCE])}
    tokens = re.findall(r"\(|\)|[^\s()]+", expression.replace("/", " OR "))
    position = 0

    def parse_or() -> list[str] | None:
        nonlocal position
        options = [parse_and()]
        while position < len(tokens) and tokens[position] == "OR":
            position += 1
            options.append(parse_and())
        usable = [o for o in options if o is not None]
        if not usable:
            return None
        return min(usable, key=lambda o: max(ranks[i] for i in o))

    def parse_and() -> list[str] | None:
        nonlocal position
        terms = [parse_atom()]
        while position < len(tokens) and tokens[position] == "AND":
            position += 1
            terms.append(parse_atom())
        if any(t is None for t in terms):
            return None
        return [i for t in terms if t is not None for i in t]

    def parse_atom() -> list[str] | None:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "(":
            inner = parse_or()
            position += 1  # ")"
            return inner
        if position < len(tokens) and tokens[position] == "WITH":
            position += 2  # an exception only adds permissions: the base licence's text stands
        return [token] if token in ranks else None

    choice = parse_or()
    if choice is None:
        sys.exit(f"licences: no canonical text in scripts/spdx/ for {expression!r}")
    return list(dict.fromkeys(choice))


def canonical(spdx_id: str, package: dict) -> str:
    """The canonical text of `spdx_id` for `package`: its `<copyright holders>` are the
    crate's authors from its manifest."""
    authors = [re.sub(r"\s*<[^>]*>", "", a).strip() for a in package.get("authors") or []]
    holders = f"the authors of {package['name']}" + (f" ({', '.join(authors)})" if authors else "")
    return read_text(SPDX_DIR / f"{spdx_id}.txt").replace("<copyright holders>", holders)


class Texts:
    """Distinct licence texts, numbered in order of first use."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.bodies: list[str] = []

    def add(self, text: str) -> int:
        key = " ".join(text.split())
        if key not in self.ids:
            self.ids[key] = len(self.bodies) + 1
            self.bodies.append(text)
        return self.ids[key]


def main() -> None:
    shipped, workspace = shipped_packages()
    texts = Texts()
    lines: list[str] = []
    fonts: list[str] = []
    missing: list[str] = []
    listed: set[tuple[str, str]] = set()
    for package in sorted(shipped.values(), key=lambda p: (p["name"], p["version"])):
        if package["id"] in workspace:
            continue
        name, version = package["name"], package["version"]
        expression = package.get("license") or ""
        if not expression:
            missing.append(f"{name} {version}: no licence expression")
            continue
        refs = [f"{texts.add(read_text(f))}:{f.name}" for f in licence_files(package) if read_text(f)]
        note = ""
        folder = Path(package["manifest_path"]).parent
        if not refs:
            own = OWN_TEXTS.get(name, {})
            chosen = spdx_choice(expression, own)
            for i in chosen:
                if i in own:
                    refs.append(f"{texts.add(read_text(folder / own[i]))}:{Path(own[i]).name}")
                else:
                    refs.append(f"{texts.add(canonical(i, package))}:{i}")
            note = "canonical:" + "+".join(i for i in chosen if i not in own)
        repository = package.get("repository") or package.get("homepage") or ""
        lines.append("\t".join(["crate", name, version, expression, repository, ",".join(refs), note]))
        listed.add((name, version))
        for font, font_expression, source, files, feature in CRATE_FONTS.get(name, []):
            if feature is not None and feature not in package["features"]:
                continue
            font_refs = [f"{texts.add(read_text(folder / f))}:{Path(f).name}" for f in files]
            fonts.append("\t".join(["font", font, "-", font_expression, source, ",".join(font_refs), ""]))
    for font, font_expression, source, files in REPO_FONTS:
        font_refs = [f"{texts.add(read_text(ROOT / f))}:{Path(f).name}" for f in files]
        fonts.insert(0, "\t".join(["font", font, "-", font_expression, source, ",".join(font_refs), ""]))
    if missing:
        sys.exit("licences: " + "; ".join(missing))

    workspace_names = {p["name"] for p in shipped.values() if p["id"] in workspace}
    unshipped = sorted(k for k in lock_closure() - listed if k[0] not in workspace_names)
    out = [
        "# The crates and fonts Comptoir's app ships, and their licences.",
        "# Generated by scripts/licences.sh from Cargo.lock and the crates' own files: do not edit.",
        "# Format: scripts/licences.py.",
        *lines,
        *fonts,
        *("\t".join(["unshipped", n, v]) for n, v in unshipped),
    ]
    for number, body in enumerate(texts.bodies, start=1):
        body_lines = body.split("\n")
        out.append(f"text\t{number}\t{len(body_lines)}")
        out.extend(body_lines)
    text = ("\n".join(out) + "\n").encode("utf-8")
    OUT.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    print(
        f"{OUT.relative_to(ROOT)}: {len(lines)} crates, {len(fonts)} fonts, {len(unshipped)} unshipped, "
        f"{len(texts.bodies)} distinct texts; {len(text)} bytes, {OUT.stat().st_size} compressed"
    )


if __name__ == "__main__":
    main()
