"""One set of package limits and name rules, the same for bundle, check,
sign and install (from a directory and from a bundle)."""

import io
import os
import tarfile
import time

import pytest

from packutil import COMPONENT, make_package, manifest_text

ID = "org.example.hello"
LIMIT = 10000


def tar_gz(path, entries):
    """A bundle made by hand: entries are (name, data or None for a directory)."""
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    return path


def base_entries():
    return [("wapp.toml", manifest_text(ID).encode()), ("app.wasm", COMPONENT),
            ("ui", None), ("ui/index.html", b"<p>hi</p>\n")]


def refused_everywhere(wp, tmp_path, pkg, want):
    """check, sign, bundle and install of pkg all fail, each saying want."""
    r = wp.run("check", pkg)
    assert r.returncode == 1 and want in r.stdout, r.stdout
    r = wp.run("sign", pkg, "--key", wp.key()[0], ok=False)
    assert want in r.stderr, r.stderr
    assert not (pkg / "signature.sig").exists()
    r = wp.run("bundle", pkg, "-o", tmp_path / "out.weftpkg", ok=False)
    assert want in r.stderr, r.stderr
    assert not (tmp_path / "out.weftpkg").exists()
    r = wp.run("install", "--allow-untrusted", pkg)
    assert r.returncode == 1 and want in r.stderr.splitlines()[-1], r.stderr
    assert wp.store_entries() == []


# ---- directories ----

def many_dirs(pkg, n):
    for i in range(n - 1):  # ui is one already
        (pkg / "d" / f"{i:05d}").mkdir(parents=True, exist_ok=True)


def test_too_many_directories_everywhere(wp, tmp_path):
    pkg = make_package(tmp_path / ID)
    many_dirs(pkg, LIMIT)  # with d itself, one over
    refused_everywhere(wp, tmp_path, pkg, f"too many directories (limit {LIMIT})")


def test_as_many_directories_as_allowed(wp, tmp_path):
    pkg = make_package(tmp_path / ID)
    many_dirs(pkg, LIMIT - 1)
    assert wp.run("check", pkg, ok=True).stdout == "OK\n"
    wp.run("bundle", pkg, "-o", tmp_path / "ok.weftpkg", ok=True)


def test_install_stops_at_the_first_directory_over_the_limit(wp, tmp_path):
    entries = base_entries() + [(f"d{i:05d}", None) for i in range(LIMIT)]
    # What follows the directory over the limit is never written out.
    entries.append(("zz-after-the-limit.bin", b"\0" * (1 << 20)))
    bundle = tar_gz(tmp_path / "dirs.weftpkg", entries)
    start = time.monotonic()
    r = wp.run("install", "--allow-untrusted", bundle)
    took = time.monotonic() - start
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == \
        f"weft-pack: install: {bundle}: too many directories (limit {LIMIT})", r.stderr
    assert wp.store_entries() == []
    print(f"install refused {LIMIT + 1} directories in {took:.2f} s")


@pytest.mark.parametrize("shape", ["two each", "deep"])
def test_directories_a_bundle_implies_count_too(wp, tmp_path, shape):
    if shape == "two each":
        names = [f"d{i:05d}/e/f" for i in range(LIMIT // 2)]
    else:
        names = [f"x{i:04d}/" + "d/" * 30 + "f" for i in range(LIMIT // 30)]
    bundle = tar_gz(tmp_path / "implied.weftpkg", base_entries() + [(n, b"") for n in names])
    r = wp.run("install", "--allow-untrusted", bundle)
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1] == \
        f"weft-pack: install: {bundle}: too many directories (limit {LIMIT})", r.stderr
    assert wp.store_entries() == []


# ---- depth ----

def test_depth_is_one_rule(wp, tmp_path):
    pkg = make_package(tmp_path / ID)
    # 32 components: fine everywhere.
    deep = pkg.joinpath(*["d"] * 31)
    deep.mkdir(parents=True)
    (deep / "f").write_bytes(b"x")
    assert wp.run("check", pkg, ok=True).stdout == "OK\n"
    # 33: refused by all, sign included.
    (deep / "d").mkdir()
    (deep / "d" / "f").write_bytes(b"x")
    refused_everywhere(wp, tmp_path, pkg, "nested deeper than 32")


# ---- names ----

def test_non_utf8_name_everywhere(wp, tmp_path):
    pkg = make_package(tmp_path / ID)
    os.makedirs(bytes(pkg / "ui") + b"/caf\xe9", exist_ok=True)
    with open(bytes(pkg / "ui") + b"/caf\xe9/menu.html", "wb") as f:
        f.write(b"<p>menu</p>")
    refused_everywhere(wp, tmp_path, pkg, "ui/caf\\xe9: file name is not UTF-8")


@pytest.mark.parametrize("name, want", [
    ("ui/caf\udce9.html", "ui/caf\\xe9.html: file name is not UTF-8"),
    ("ui/" + "n" * 256, "name longer than 255 bytes"),
    ("ui/tab\there", "ui/tab\\x09here: file name with a control character refused"),
])
def test_bad_names_in_a_bundle(wp, tmp_path, name, want):
    bundle = tar_gz(tmp_path / "names.weftpkg", base_entries() + [(name, b"x")])
    for args in (["install", "--allow-untrusted", bundle],
                 ["unbundle", bundle, "-o", tmp_path / "out"]):
        r = wp.run(*args)
        assert r.returncode == 1
        assert r.stderr.splitlines()[-1].endswith(want), r.stderr
    assert wp.store_entries() == []
    assert not (tmp_path / "out").exists()
