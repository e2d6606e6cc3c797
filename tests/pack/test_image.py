"""build-image: EROFS image, dm-verity hash tree and root hash."""

import os
import re
import shutil
import stat

import pytest

from packutil import make_package

ID = "org.example.hello"


def have_tools():
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return all(shutil.which(t, path=path) for t in ("mkfs.erofs", "veritysetup"))


@pytest.mark.skipif(not have_tools(), reason="mkfs.erofs or veritysetup missing "
                    "(Debian packages erofs-utils, cryptsetup-bin)")
def test_build_image(wp, tmp_path):
    pkg = wp.signed_package(tmp_path / "pkg")
    out = tmp_path / "out"
    out.mkdir()
    r = wp.run("build-image", pkg, cwd=out, ok=True)
    image = out / f"{ID}.erofs"
    verity = out / f"{ID}.erofs.verity"
    roothash = out / f"{ID}.erofs.roothash"
    assert image.stat().st_size > 0 and verity.stat().st_size > 0
    with open(image, "rb") as f:
        f.seek(1024)
        assert f.read(4) == bytes.fromhex("e2e1f5e0")  # EROFS superblock magic
    hexhash = roothash.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}\n", hexhash)
    assert hexhash.strip() in r.stdout

    # Reproducible image; never overwritten.
    wp.run("build-image", pkg, "-o", tmp_path / "again.erofs", ok=True)
    assert (tmp_path / "again.erofs").read_bytes() == image.read_bytes()
    before = image.read_bytes()
    r = wp.run("build-image", pkg, cwd=out, ok=False)
    assert "already exists" in r.stderr
    assert image.read_bytes() == before


def test_build_image_refuses_bad_package(wp, tmp_path):
    pkg = make_package(tmp_path / "pkg")
    os.symlink("/etc/passwd", pkg / "ui" / "passwd")
    r = wp.run("build-image", pkg, "-o", tmp_path / "x.erofs", ok=False)
    assert "symbolic link" in r.stderr
    assert not list(tmp_path.glob("x.erofs*"))


def test_build_image_tool_failure_cleans_up(wp, tmp_path):
    """A failing tool (a fake one first in PATH) leaves no partial output."""
    fake = tmp_path / "bin"
    fake.mkdir()
    for tool, script in (("mkfs.erofs", "echo partial > \"$6\"; echo 'mkfs: disk on fire' >&2;"
                                        " exit 3"),
                         ("veritysetup", "echo 'no root hash here'; exit 0")):
        (fake / tool).write_text(f"#!/bin/sh\n{script}\n")
        os.chmod(fake / tool, stat.S_IRWXU)
    pkg = make_package(tmp_path / "pkg")
    env = dict(wp.env, PATH=f"{fake}:{os.environ['PATH']}")
    r = wp.run("build-image", pkg, "-o", tmp_path / "x.erofs", env=env, ok=False)
    assert "mkfs.erofs failed (exit status 3): mkfs: disk on fire" in r.stderr
    assert not list(tmp_path.glob("x.erofs*"))

    (fake / "mkfs.erofs").write_text("#!/bin/sh\necho image > \"$6\"\n")
    r = wp.run("build-image", pkg, "-o", tmp_path / "x.erofs", env=env, ok=False)
    assert "no root hash" in r.stderr
    assert not list(tmp_path.glob("x.erofs*"))
