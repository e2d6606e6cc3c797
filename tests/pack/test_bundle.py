"""bundle and unbundle: round trip, reproducibility, and hostile archives."""

import gzip
import io
import os
import tarfile
import time

import pytest

from packutil import COMPONENT, assert_one_error_line, manifest_text

ID = "org.example.hello"


def test_round_trip(wp, tmp_path):
    long_dir = "ui/" + "d" * 120
    pkg = wp.signed_package(tmp_path / "pkg", files={"ui/img/logo.bin": os.urandom(5000),
                                                     "ui/empty": b"",
                                                     "ui/\u00e9t\u00e9.txt": b"non-ASCII",
                                                     f"{long_dir}/{'f' * 120}": b"long"})
    os.chmod(pkg / "ui" / "img" / "logo.bin", 0o755)
    (pkg / "ui" / "emptydir").mkdir()
    r = wp.run("bundle", pkg, cwd=tmp_path, ok=True)
    bundle = tmp_path / f"{ID}-1.0.0.weftpkg"
    assert str(bundle.name) in r.stdout
    with tarfile.open(bundle, "r:gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names, key=lambda n: n.encode())
    assert all(m.uid == 0 and m.gid == 0 and m.mtime == 0 for m in members)
    assert all(not n.startswith(("/", "./")) for n in names)
    assert "ui/emptydir" in names

    out = tmp_path / "unpacked"
    r = wp.run("unbundle", bundle, "-o", out, ok=True)
    wp.run("verify", out, ok=True)
    for rel in ("wapp.toml", "app.wasm", "ui/index.html", "ui/img/logo.bin", "signature.sig",
                "ui/\u00e9t\u00e9.txt", f"{long_dir}/{'f' * 120}"):
        assert (out / rel).read_bytes() == (pkg / rel).read_bytes()
    assert (out / "ui" / "emptydir").is_dir()
    assert os.access(out / "ui" / "img" / "logo.bin", os.X_OK)
    assert not os.access(out / "app.wasm", os.X_OK)

    # Default output: ./<id>; never into an existing directory.
    wp.run("unbundle", bundle, cwd=tmp_path, ok=True)
    wp.run("verify", tmp_path / ID, ok=True)
    r = wp.run("unbundle", bundle, cwd=tmp_path, ok=False)
    assert "already exists" in r.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]

    # Install from the bundle.
    r = wp.run("install", bundle, ok=True)
    wp.run("verify", wp.store / ID, ok=True)


def test_bundle_is_reproducible_and_never_overwrites(wp, tmp_path):
    pkg = wp.signed_package(tmp_path / "pkg")
    a, b = tmp_path / "a.weftpkg", tmp_path / "b.weftpkg"
    wp.run("bundle", pkg, "-o", a, ok=True)
    time.sleep(1.1)
    os.utime(pkg / "app.wasm", (1, 1))
    wp.run("bundle", pkg, "-o", b, ok=True)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes()[:2] == b"\x1f\x8b"  # gzip
    before = a.read_bytes()
    r = wp.run("bundle", pkg, "-o", a, ok=False)
    assert "already exists" in r.stderr
    assert a.read_bytes() == before


def tar_bytes(entries, compress=True):
    """entries: (TarInfo, data or None)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0) if compress else raw


def file_entry(name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    return info, data


def good_entries():
    return [file_entry("wapp.toml", manifest_text(ID).encode()),
            file_entry("app.wasm", COMPONENT),
            file_entry("ui/index.html", b"<p>hi</p>\n")]


def special(name, kind, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 1, 3
    return info, None


def huge_entry():
    """A header claiming 2 GiB, followed by a little data and the end."""
    info = tarfile.TarInfo("ui/huge.bin")
    info.size = 2 << 30
    return info.tobuf(tarfile.PAX_FORMAT) + b"\0" * 4096


HOSTILE = {
    "dotdot": ([file_entry("../x", b"escaped")], "'..'"),
    "dotdot inside": ([file_entry("ui/../../x", b"escaped")], "'..'"),
    "absolute": ([file_entry("/etc/x", b"escaped")], "absolute"),
    "symlink": ([special("ui/passwd", tarfile.SYMTYPE, "/etc/passwd")], "symbolic link"),
    "relative symlink": ([special("ui/up", tarfile.SYMTYPE, "../..")], "symbolic link"),
    "hard link": ([special("ui/link", tarfile.LNKTYPE, "app.wasm")], "hard link"),
    "char device": ([special("ui/null", tarfile.CHRTYPE)], "character device"),
    "block device": ([special("ui/disk", tarfile.BLKTYPE)], "block device"),
    "fifo": ([special("ui/fifo", tarfile.FIFOTYPE)], "fifo"),
    "duplicate": ([file_entry("app.wasm", b"second copy")], "duplicate"),
    "control character": ([file_entry("ui/a\nb", b"x")], "control character"),
}


def write_hostile(tmp_path, name):
    extra, _ = HOSTILE[name]
    bundle = tmp_path / "hostile.weftpkg"
    # The hostile entry comes after the good ones: the good ones must not
    # survive the failure either.
    bundle.write_bytes(tar_bytes(good_entries() + extra))
    return bundle


@pytest.mark.parametrize("name", HOSTILE.keys())
def test_hostile_bundle_install(wp, tmp_path, name):
    wp.key()
    bundle = write_hostile(tmp_path, name)
    r = wp.run("install", bundle, "--allow-untrusted", ok=False)
    assert HOSTILE[name][1] in r.stderr, r.stderr
    assert wp.store_entries() == []
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("name", HOSTILE.keys())
def test_hostile_bundle_unbundle(wp, tmp_path, name):
    bundle = write_hostile(tmp_path, name)
    work = tmp_path / "work"
    work.mkdir()
    r = wp.run("unbundle", bundle, "-o", work / "out", ok=False)
    assert HOSTILE[name][1] in r.stderr, r.stderr
    assert os.listdir(work) == []
    r = wp.run("unbundle", bundle, cwd=work, ok=False)
    assert os.listdir(work) == []
    assert not (tmp_path / "x").exists()


def test_huge_entry_refused_quickly(wp, tmp_path):
    bundle = tmp_path / "huge.weftpkg"
    raw = tar_bytes(good_entries(), compress=False)
    # Replace the end-of-archive blocks with the huge entry.
    body = raw.rstrip(b"\0")
    body += b"\0" * (-len(body) % 512)
    bundle.write_bytes(gzip.compress(body + huge_entry(), mtime=0))
    start = time.monotonic()
    r = wp.run("install", bundle, "--allow-untrusted", ok=False)
    assert time.monotonic() - start < 5
    assert "too large" in r.stderr
    assert wp.store_entries() == []
    r = wp.run("unbundle", bundle, "-o", tmp_path / "out", ok=False)
    assert "too large" in r.stderr
    assert not (tmp_path / "out").exists()


def test_uncompressed_tar_and_dot_slash_names(wp, tmp_path):
    """Bundles made with plain tar (entries "./x", a "./" root) are accepted."""
    root = tarfile.TarInfo(".")
    root.type = tarfile.DIRTYPE
    entries = [(root, None)] + [(file_entry("./" + info.name, data)) for info, data in
                                good_entries()]
    bundle = tmp_path / "plain.tar"
    bundle.write_bytes(tar_bytes(entries, compress=False))
    wp.run("unbundle", bundle, "-o", tmp_path / "out", ok=True)
    assert (tmp_path / "out" / "app.wasm").read_bytes() == COMPONENT


def test_truncated_bundle(wp, tmp_path):
    pkg = wp.signed_package(tmp_path / "pkg", files={"ui/data.bin": os.urandom(200000)})
    bundle = tmp_path / "b.weftpkg"
    wp.run("bundle", pkg, "-o", bundle, ok=True)
    bundle.write_bytes(bundle.read_bytes()[:-5000])
    r = wp.run("install", bundle, ok=False)
    assert_one_error_line(r)
    assert wp.store_entries() == []
    wp.run("unbundle", bundle, "-o", tmp_path / "out", ok=False)
    assert not (tmp_path / "out").exists()


def test_too_many_files(wp, tmp_path):
    entries = good_entries() + [file_entry(f"ui/f{i:05d}", b"") for i in range(10001)]
    bundle = tmp_path / "many.weftpkg"
    bundle.write_bytes(tar_bytes(entries))
    work = tmp_path / "work"
    work.mkdir()
    r = wp.run("unbundle", bundle, "-o", work / "out", ok=False)
    assert "too many files" in r.stderr
    assert os.listdir(work) == []
