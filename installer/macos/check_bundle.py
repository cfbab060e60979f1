#!/usr/bin/env python3
"""Checks Comptoir.app's definition where no Mac is at hand (installer/test-linux.sh).

Usage: check_bundle.py INFO_PLIST VERSION

INFO_PLIST is the file `build-macos.sh --info-plist` wrote. It must parse as a property
list (XML), carry VERSION (Cargo's) as both bundle versions, and name what the bundle
holds: the executable, the icon, the fr/nl/en localisations (each with its
InfoPlist.strings translating the same keys). The icon set must hold the ten PNGs
`iconutil` wants, each of the size its name says. Prints what is wrong; exits 1 if anything.
"""

import plistlib
import re
import struct
import sys
import xml.parsers.expat
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANGUAGES = ["fr", "nl", "en"]
# Apple's names in an .iconset: icon_NxN.png and icon_NxN@2x.png (twice the pixels).
ICON_SIZES = [16, 32, 128, 256, 512]
STRINGS_LINE = re.compile(r'^"(\w+)" = "([^"\\]*)";$')


def png_size(path: Path) -> tuple[int, int]:
    """The width and height in a PNG's IHDR chunk."""
    data = path.read_bytes()[:24]
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError(f"{path.name} is not a PNG")
    return struct.unpack(">II", data[16:24])


def strings_keys(path: Path) -> dict[str, str]:
    """The keys and texts of an InfoPlist.strings file (one `"key" = "text";` a line)."""
    keys = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("/*"):
            continue
        match = STRINGS_LINE.match(line)
        if not match:
            raise ValueError(f"{path}: not a strings line: {line}")
        keys[match[1]] = match[2]
    return keys


def problems(plist_path: Path, version: str) -> list[str]:
    found = []
    with plist_path.open("rb") as file:
        plist = plistlib.load(file, fmt=plistlib.FMT_XML)
    wanted = {
        "CFBundleIdentifier": "app.comptoir.Comptoir",
        "CFBundleExecutable": "comptoir",
        "CFBundleIconFile": "Comptoir",
        "CFBundlePackageType": "APPL",
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "CFBundleLocalizations": LANGUAGES,
        "CFBundleDevelopmentRegion": "fr",
        "NSHighResolutionCapable": True,
    }
    for key, value in wanted.items():
        if plist.get(key) != value:
            found.append(f"Info.plist: {key} is {plist.get(key)!r}, not {value!r}")
    if not re.fullmatch(r"\d+\.\d+", str(plist.get("LSMinimumSystemVersion", ""))):
        found.append("Info.plist: no LSMinimumSystemVersion (macOS MAJOR.MINOR)")
    for language in LANGUAGES:
        strings = HERE / f"{language}.lproj" / "InfoPlist.strings"
        try:
            keys = strings_keys(strings)
        except (OSError, ValueError) as error:
            found.append(str(error))
            continue
        for key in keys:
            if key not in plist:
                found.append(f"{strings}: {key} is not in Info.plist")
        if "NSLocalNetworkUsageDescription" not in keys:
            found.append(f"{strings}: the local network text is not translated")
    iconset = HERE / f"{plist['CFBundleIconFile']}.iconset"
    names = set()
    for size in ICON_SIZES:
        for name, pixels in ((f"icon_{size}x{size}.png", size), (f"icon_{size}x{size}@2x.png", 2 * size)):
            names.add(name)
            try:
                if png_size(iconset / name) != (pixels, pixels):
                    found.append(f"{iconset.name}/{name} is not {pixels}×{pixels}")
            except (OSError, ValueError) as error:
                found.append(f"{iconset.name}/{name}: {error}")
    extra = {path.name for path in iconset.iterdir()} - names if iconset.is_dir() else set()
    if extra:
        found.append(f"{iconset.name} holds files iconutil does not name: {sorted(extra)}")
    return found


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        found = problems(Path(sys.argv[1]), sys.argv[2])
    except (OSError, plistlib.InvalidFileException, ValueError, xml.parsers.expat.ExpatError) as error:
        found = [f"{sys.argv[1]}: {error}"]
    for problem in found:
        print(f"  {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
