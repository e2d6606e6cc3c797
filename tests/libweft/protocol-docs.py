#!/usr/bin/python3
"""Each control protocol's header and the prose that describes it agree
(weft/appd-protocol.h, weft/compositor-protocol.h, weft/runtime-protocol.h
against weft-appd(8) and weft-compositor(1)): every request, event, member,
value and error code the header defines is named in the prose, and the prose
names nothing the header does not define. Prints TAP."""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from weftproto import ROOT, Protocol, doc_error_codes, doc_mentions  # noqa: E402


def sandbox_report_names():
    """REPORT, in a SESSION's "sandbox", is libweftsandbox's (sandbox/report.c)."""
    text = (ROOT / "sandbox" / "report.c").read_text()
    return set(re.findall(r'add\((?:obj|landlock|limits), "(\w+)"', text)) | \
        set(re.findall(r'json_object_object_add\(obj, "(\w+)"', text))


def checks(p):
    text = p.doc_text()
    where = f"{p.doc.name}, {p.section}"
    extra = sandbox_report_names() if p.name == "appd" else set()

    missing = sorted(v for v in p.requests | p.old_requests
                     if not re.search(rf'"type": "{re.escape(v)}"', text))
    yield f"{p.name}: every request of {p.header.name} is shown in {where}", missing

    missing = sorted(v for v in set(p.defines.values()) if not doc_mentions(text, v))
    yield f"{p.name}: every name {p.header.name} defines is named in {where}", missing

    shown = set(re.findall(r'"type": "([\w-]+)"', text))
    yield (f"{p.name}: every request {where} shows is in {p.header.name}",
           sorted(shown - p.requests - p.old_requests))

    shown = set(re.findall(r'"event": "([\w-]+)"', text))
    yield (f"{p.name}: every event {where} shows is in {p.header.name}",
           sorted(shown - p.of("EVENT")))

    quoted = set(re.findall(r'"([a-z_][a-z0-9_-]*)"', text))
    yield (f"{p.name}: every member {where} quotes is in {p.header.name}",
           sorted(quoted - p.names - extra))

    listed = doc_error_codes(text)
    errors = p.of("ERR")
    if listed is None:
        yield f"{p.name}: {where} lists its error codes", ["no 'Error codes:' list"]
    else:
        diff = [f"not in the header: {c}" for c in sorted(listed - errors)] + \
            [f"not in the prose: {c}" for c in sorted(errors - listed)]
        yield f"{p.name}: the error codes {where} lists are {p.header.name}'s", diff


def readme_checks():
    runtime = Protocol("runtime")
    text = (ROOT / "runtime" / "README.md").read_text()
    shown = set(re.findall(r'"type": "([\w-]+)"', text))
    yield ("runtime: every request runtime/README.md shows is runtime-protocol.h's",
           sorted(shown - runtime.requests))


def main():
    results = []
    for name in ("appd", "compositor", "runtime"):
        results += list(checks(Protocol(name)))
    results += list(readme_checks())
    print(f"1..{len(results)}")
    failed = 0
    for i, (what, problems) in enumerate(results, 1):
        if problems:
            failed += 1
            print(f"not ok {i} - {what}")
            for problem in problems:
                print(f"# {problem}")
        else:
            print(f"ok {i} - {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
