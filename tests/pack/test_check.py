"""check: manifest, component detection, UI entry, package contents."""

import os

import pytest

from packutil import COMPONENT, CORE_MODULE, REPO, assert_one_error_line, make_package

ID = "org.example.hello"


def errors(r):
    return [line for line in r.stdout.splitlines() if line.startswith("error: ")]


def check_fails(wp, pkg, *words):
    r = wp.run("check", pkg)
    assert r.returncode == 1, r.stdout
    assert_one_error_line(r)
    assert "problem" in r.stderr
    assert "OK" not in r.stdout.splitlines()
    for word in words:
        assert word in r.stdout, r.stdout
    return r


def test_good_package(wp, tmp_path):
    pkg = make_package(tmp_path / ID, capabilities=["fs:rw:app-data", "net:fetch:example.com"])
    r = wp.run("check", pkg, ok=True)
    assert r.stdout == "OK\n"
    assert r.stderr == ""


def test_signed_package_is_fine(wp, tmp_path):
    pkg = wp.signed_package(tmp_path / ID)
    assert wp.run("check", pkg, ok=True).stdout == "OK\n"


def test_dir_name_differs_from_id_warns(wp, tmp_path):
    pkg = make_package(tmp_path / "hello")
    r = wp.run("check", pkg, ok=True)
    assert r.stdout.splitlines()[-1] == "OK"
    assert "warning: " in r.stdout and ID in r.stdout


def section(section_id, payload):
    """A section with its LEB128 size."""
    size, leb = len(payload), bytearray()
    while True:
        byte = size & 0x7F
        size >>= 7
        leb.append(byte | (0x80 if size else 0))
        if not size:
            return bytes([section_id]) + bytes(leb) + payload


def test_component_with_sections(wp, tmp_path):
    # A custom section (id 0: name + bytes) and a 200-byte one (2-byte LEB).
    module = COMPONENT + section(0, b"\x04name" + b"x" * 10) + section(7, b"\x00" * 200)
    pkg = make_package(tmp_path / ID, module_bytes=module)
    wp.run("check", pkg, ok=True)


MODULES = {
    "core module": (CORE_MODULE, "core WebAssembly module"),
    "core module with sections": (CORE_MODULE + section(1, b"\x60\x00\x00"), "core"),
    "garbage": (b"hello, world\n" * 10, "not a WebAssembly file"),
    "empty": (b"", "not a WebAssembly file"),
    "magic only": (b"\x00asm", "truncated"),
    "unknown version": (bytes.fromhex("0061736d0e000100"), "unsupported"),
    "truncated section": (COMPONENT + section(1, b"\x00" * 100)[:50], "truncated"),
    "truncated size": (COMPONENT + b"\x01\x80\x80", "truncated"),
    "oversized LEB": (COMPONENT + b"\x01\xff\xff\xff\xff\x7f", "malformed"),
    "garbage after header": (COMPONENT + b"garbage follows the header", "section"),
}


@pytest.mark.parametrize("name", MODULES.keys())
def test_module_not_a_component(wp, tmp_path, name):
    data, word = MODULES[name]
    pkg = make_package(tmp_path / ID, module_bytes=data)
    r = check_fails(wp, pkg, "app.wasm", word)
    assert len(errors(r)) == 1


def test_module_not_a_regular_file(wp, tmp_path):
    pkg = make_package(tmp_path / ID)
    (pkg / "app.wasm").unlink()
    (pkg / "app.wasm").mkdir()
    check_fails(wp, pkg, "app.wasm", "directory")


def test_file_problems_listed_together(wp, tmp_path):
    pkg = make_package(tmp_path / ID, module_bytes=CORE_MODULE)
    (pkg / "ui" / "index.html").unlink()
    os.symlink("/etc/passwd", pkg / "ui" / "evil")
    r = check_fails(wp, pkg, "core WebAssembly module", "ui/index.html", "missing",
                    "symbolic link")
    assert len(errors(r)) == 3
    assert "3 problems" in r.stderr


def test_manifest_problems_listed_together(wp, tmp_path):
    pkg = make_package(tmp_path / ID, capabilities=["fs:rw:app-data", "sys:teleport"],
                       extra='colour = "blue"\n')
    text = (pkg / "wapp.toml").read_text().replace(f'id = "{ID}"', 'id = "Not.An.Id"')
    text = text.replace('name = "Hello"', 'name = ""')
    (pkg / "wapp.toml").write_text(text)
    r = check_fails(wp, pkg, "sys:teleport", "package.id", "package.name", "colour")
    assert len(errors(r)) == 3
    assert any(line.startswith("warning: ") and "colour" in line
               for line in r.stdout.splitlines())


def test_manifest_and_file_problems_listed_together(wp, tmp_path):
    pkg = make_package(tmp_path / ID, capabilities=["sys:teleport"])
    (pkg / "ui" / "index.html").unlink()
    (pkg / "app.wasm").write_bytes(b"garbage, not wasm")
    r = check_fails(wp, pkg, "sys:teleport", "ui/index.html", "app.wasm")
    assert len(errors(r)) == 3
    assert "3 problems" in r.stderr


def test_missing_manifest(wp, tmp_path):
    pkg = make_package(tmp_path / ID)
    (pkg / "wapp.toml").unlink()
    check_fails(wp, pkg, "wapp.toml", "missing")


def test_entry_escaping_the_package(wp, tmp_path):
    outside = tmp_path / "outside.html"
    outside.write_text("<p>outside</p>")
    pkg = make_package(tmp_path / ID)
    os.symlink(outside, pkg / "ui" / "link.html")
    text = (pkg / "wapp.toml").read_text().replace("ui/index.html", "ui/link.html")
    (pkg / "wapp.toml").write_text(text)
    check_fails(wp, pkg, "ui/link.html", "symbolic link")


def test_hard_link_and_fifo(wp, tmp_path):
    pkg = make_package(tmp_path / ID)
    os.link(pkg / "app.wasm", pkg / "copy.wasm")
    check_fails(wp, pkg, "hard link")
    os.unlink(pkg / "copy.wasm")
    os.mkfifo(pkg / "ui" / "fifo")
    check_fails(wp, pkg, "fifo")


# ---- capabilities: one rule for check, install, appd and the runtime ----

def capability_table():
    """(capability, "ok" or its error) from the table every program is tested against."""
    rows = []
    path = REPO / "tests" / "libweft" / "capabilities.tsv"
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            cap, want = line.split("\t")
            rows.append((cap.encode().decode("unicode_escape"), want))
    return rows


def toml_string(s):
    """s for a TOML basic string (between the quotes make_package adds)."""
    return "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or c in '"\\' else c for c in s)


def test_capabilities_as_the_shared_table_says(wp, tmp_path):
    rows = capability_table()
    good = [cap for cap, want in rows if want == "ok"]
    bad = [(cap, want) for cap, want in rows if want != "ok"]
    pkg = make_package(tmp_path / "good" / ID, capabilities=map(toml_string, good))
    assert wp.run("check", pkg, ok=True).stdout == "OK\n"

    pkg = make_package(tmp_path / "bad" / ID, capabilities=[toml_string(c) for c, _ in bad])
    r = wp.run("check", pkg)
    assert r.returncode == 1
    assert errors(r) == [f"error: {pkg}/wapp.toml:7: package.capabilities[{i}]: {want}"
                         for i, (_, want) in enumerate(bad)]


@pytest.mark.parametrize("cap", ["net:fetch:Example.com", "net:fetch:example.com:080",
                                 "net:everything"])
def test_install_refuses_a_capability_in_the_same_words(wp, tmp_path, cap):
    want = dict(capability_table())[cap]
    pkg = wp.signed_package(tmp_path / ID, capabilities=[cap])
    r = wp.run("install", pkg, ok=False)
    assert r.stderr == (f"weft-pack: install: {pkg}: wapp.toml:7: package.capabilities[0]: "
                        f"{want} (see weft-pack check)\n")
    assert wp.store_entries() == []
