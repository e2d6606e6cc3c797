"""The user flow (generate-key → trust → sign → verify → install → list → info →
uninstall), install's refusals, and what the store looks like afterwards."""

import os
import socket
import time

import pytest

from packutil import make_package

ID = "org.example.hello"


def test_user_flow(wp, tmp_path):
    keys = tmp_path / "keys"
    keys.mkdir()
    r = wp.run("generate-key", keys, ok=True)
    pub_hex = (keys / "weft.pub").read_text().strip()
    wp.run("trust", "add", keys / "weft.pub", ok=True)

    pkg = make_package(tmp_path / "hello", capabilities=["fs:rw:app-data", "sys:notifications"])
    assert wp.run("check", pkg, ok=True).stdout.endswith("OK\n")
    r = wp.run("sign", pkg, "--key", keys / "weft.key", ok=True)
    r = wp.run("verify", pkg, ok=True)
    assert r.stdout.startswith(f"OK: signed by {pub_hex}")

    r = wp.run("install", pkg, ok=True)
    dest = wp.store / ID
    assert r.stdout == f"installed {ID} 1.0.0 to {dest}\n"
    assert sorted(p.name for p in dest.rglob("*")) == sorted(
        ["wapp.toml", "app.wasm", "ui", "index.html", "signature.sig"])
    assert (dest / "app.wasm").read_bytes() == (pkg / "app.wasm").read_bytes()
    assert oct(dest.stat().st_mode & 0o777) == "0o755"
    wp.run("verify", dest, ok=True)

    r = wp.run("list", ok=True)
    assert f"{wp.store}:" in r.stdout
    line = next(line for line in r.stdout.splitlines() if ID in line)
    assert line.split() == [ID, "Hello", "1.0.0", "trusted"]

    for arg in (ID, dest):
        r = wp.run("info", arg, ok=True)
        assert f"id:           {ID}" in r.stdout
        assert "name:         Hello" in r.stdout
        assert "version:      1.0.0" in r.stdout
        assert "description:  A test package" in r.stdout
        assert "author:       WEFT tests" in r.stdout
        assert f"location:     {dest}" in r.stdout
        assert "fs:rw:app-data" in r.stdout and "sys:notifications" in r.stdout
        assert f"trusted (signed by {pub_hex}" in r.stdout

    # The app wrote some data; uninstall keeps it.
    data = wp.data_dir(ID)
    data.mkdir(parents=True)
    (data / "notes.txt").write_text("keep me")
    r = wp.run("uninstall", ID, ok=True)
    assert "kept" in r.stdout and str(data) in r.stdout
    assert not dest.exists()
    assert (data / "notes.txt").read_text() == "keep me"
    assert wp.store_entries() == []
    r = wp.run("info", ID, ok=False)

    # Install again, then uninstall with --purge: the data goes too.
    wp.run("install", pkg, ok=True)
    r = wp.run("uninstall", ID, "--purge", ok=True)
    assert "removed its data" in r.stdout
    assert not data.exists() and not dest.exists()
    assert wp.store_entries() == []
    wp.run("uninstall", ID, ok=False)


def test_install_refuses_existing_unless_replace(wp, tmp_path):
    v1 = wp.signed_package(tmp_path / "v1", version="1.0.0")
    v2 = wp.signed_package(tmp_path / "v2", version="2.0.0")
    wp.run("install", v1, ok=True)
    r = wp.run("install", v2, ok=False)
    assert "already installed (use --replace)" in r.stderr
    assert "1.0.0" in (wp.store / ID / "wapp.toml").read_text()
    r = wp.run("install", v2, "--replace", ok=True)
    assert "2.0.0" in r.stdout
    assert "2.0.0" in (wp.store / ID / "wapp.toml").read_text()
    assert wp.store_entries() == [ID]
    # --replace with nothing installed is a plain install.
    wp.run("uninstall", ID, ok=True)
    wp.run("install", v1, "--replace", ok=True)
    assert wp.store_entries() == [ID]


def test_install_untrusted(wp, tmp_path):
    pkg = make_package(tmp_path / "pkg")
    r = wp.run("install", pkg, ok=False)
    assert "not signed" in r.stderr and "--allow-untrusted" in r.stderr
    other = tmp_path / "other"
    other.mkdir()
    wp.run("generate-key", other, ok=True)
    wp.run("sign", pkg, "--key", other / "weft.key", ok=True)
    r = wp.run("install", pkg, ok=False)
    assert "not signed by a trusted key" in r.stderr
    assert wp.store_entries() == []
    r = wp.run("install", pkg, "--allow-untrusted", ok=True)
    assert "warning" in r.stderr and "--allow-untrusted" in r.stderr
    r = wp.run("list", ok=True)
    assert "untrusted" in r.stdout


def test_install_verifies_the_copy_not_the_source(wp, tmp_path):
    """The signature is checked on what lands in the store: a package
    modified after signing is refused even though its files are readable."""
    pkg = wp.signed_package(tmp_path / "pkg")
    (pkg / "ui" / "index.html").write_text("<p>changed</p>")
    r = wp.run("install", pkg, ok=False)
    assert "not signed by a trusted key" in r.stderr
    assert wp.store_entries() == []


def test_install_refuses_invalid_packages(wp, tmp_path):
    bad_manifest = wp.signed_package(tmp_path / "bad", capabilities=["sys:teleport"])
    r = wp.run("install", bad_manifest, ok=False)
    assert "sys:teleport" in r.stderr
    core = wp.signed_package(tmp_path / "core", module_bytes=bytes.fromhex("0061736d01000000"))
    r = wp.run("install", core, ok=False)
    assert "core WebAssembly module" in r.stderr
    assert wp.store_entries() == []


def malicious_dir(kind, pkg, tmp_path):
    if kind == "symlink out of the package":
        os.symlink("/etc/passwd", pkg / "ui" / "passwd")
    elif kind == "symlinked dir":
        outside = tmp_path / "outside"
        outside.mkdir()
        (outside / "secret").write_text("secret")
        os.symlink(outside, pkg / "ui" / "assets")
    elif kind == "hard link":
        secret = tmp_path / "secret"
        secret.write_text("secret")
        os.link(secret, pkg / "ui" / "secret")
    elif kind == "fifo":
        os.mkfifo(pkg / "ui" / "fifo")
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(str(pkg / "ui" / "sock"))
        s.close()
    elif kind == "device":
        if os.geteuid() != 0:
            pytest.skip("mknod of a device needs root")
        os.mknod(pkg / "ui" / "null", 0o600 | 0o020000, os.makedev(1, 3))
    elif kind == "2 GiB sparse file":
        with open(pkg / "ui" / "big.bin", "wb") as f:
            f.truncate(2 << 30)
    elif kind == "control character in a name":
        (pkg / "ui" / "a\tb").write_text("x")


MALICIOUS = ["symlink out of the package", "symlinked dir", "hard link", "fifo", "socket",
             "device", "2 GiB sparse file", "control character in a name"]


@pytest.mark.parametrize("kind", MALICIOUS)
def test_install_refuses_malicious_dir(wp, tmp_path, kind):
    pkg = make_package(tmp_path / "pkg")
    malicious_dir(kind, pkg, tmp_path)
    # Signed with the bad file in it (sign may itself refuse, that is fine too).
    wp.run("sign", pkg, "--key", wp.key()[0])
    start = time.monotonic()
    r = wp.run("install", pkg, "--allow-untrusted", ok=False)
    assert time.monotonic() - start < 5
    assert "refused" in r.stderr or "too large" in r.stderr, r.stderr
    assert wp.store_entries() == []
    r = wp.run("bundle", pkg, "-o", tmp_path / "out.weftpkg", ok=False)
    assert not (tmp_path / "out.weftpkg").exists()
    assert not any(p.name.startswith("out.weftpkg") for p in tmp_path.iterdir())


def test_stale_temporary_dirs_are_cleaned(wp, tmp_path):
    pkg = wp.signed_package(tmp_path / "pkg")
    wp.store.mkdir(parents=True)
    stale = wp.store / ".tmp-crashed"
    (stale / "ui").mkdir(parents=True)
    (stale / "ui" / "half.html").write_text("half")
    r = wp.run("list", ok=True)
    assert "crashed" not in r.stdout
    wp.run("install", pkg, ok=True)
    assert wp.store_entries() == [ID]


def test_list_marks_malformed_packages(wp, tmp_path):
    wp.run("install", wp.signed_package(tmp_path / "pkg"), ok=True)
    broken = wp.store / "org.example.broken"
    broken.mkdir()
    (broken / "wapp.toml").write_text("this is [not toml\n")
    mismatch = make_package(wp.store / "org.example.other")
    unsigned = make_package(wp.store / "org.example.unsigned", app_id="org.example.unsigned")
    del mismatch, unsigned
    r = wp.run("list", ok=True)
    lines = {line.split()[0]: line for line in r.stdout.splitlines() if line.startswith("  ")}
    assert "malformed" in lines["org.example.broken"]
    assert "malformed" in lines["org.example.other"]
    assert lines["org.example.unsigned"].split()[-1] == "unsigned"
    assert lines[ID].split()[-1] == "trusted"


def test_list_empty(wp):
    r = wp.run("list", ok=True)
    assert r.stderr == ""


def test_info_untrusted_and_unsigned(wp, tmp_path):
    pkg = make_package(tmp_path / "pkg", capabilities=["net:fetch:example.com"])
    r = wp.run("info", pkg, ok=True)
    assert "signature:    unsigned" in r.stdout
    assert "net:fetch:example.com" in r.stdout and "example.com" in r.stdout
    other = tmp_path / "other"
    other.mkdir()
    wp.run("generate-key", other, ok=True)
    wp.run("sign", pkg, "--key", other / "weft.key", ok=True)
    assert "signature:    untrusted" in wp.run("info", pkg, ok=True).stdout


def test_weft_app_store(wp, tmp_path):
    custom = tmp_path / "custom-store"
    wp.env["WEFT_APP_STORE"] = str(custom)
    pkg = wp.signed_package(tmp_path / "pkg")
    r = wp.run("install", pkg, ok=True)
    assert str(custom / ID) in r.stdout
    assert (custom / ID / "wapp.toml").exists()
    assert not (tmp_path / "home" / ".local" / "share" / "weft" / "apps" / ID).exists()
    r = wp.run("list", ok=True)
    assert r.stdout.splitlines()[0] == f"{custom}:"
    assert f"location:     {custom / ID}" in wp.run("info", ID, ok=True).stdout
    wp.run("uninstall", ID, ok=True)
    assert not (custom / ID).exists()


def test_uninstall_only_from_user_store(wp, tmp_path):
    # A package in another root (XDG store) while WEFT_APP_STORE is the user store.
    make_package(wp.store / ID)
    wp.env["WEFT_APP_STORE"] = str(tmp_path / "custom")
    r = wp.run("uninstall", ID, ok=False)
    assert "not in the user store" in r.stderr
    assert (tmp_path / "home" / ".local" / "share" / "weft" / "apps" / ID).exists()


def test_purge_after_uninstall(wp, tmp_path):
    wp.run("install", wp.signed_package(tmp_path / "pkg"), ok=True)
    data = wp.data_dir(ID)
    data.mkdir(parents=True)
    wp.run("uninstall", ID, ok=True)
    assert data.exists()
    r = wp.run("uninstall", ID, "--purge", ok=True)
    assert "removed its data" in r.stdout
    assert not data.exists()
