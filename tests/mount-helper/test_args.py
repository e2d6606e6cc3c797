"""weft-mount-helper's checks of its arguments, its image store and its mount
points: everything it refuses before it needs device-mapper.

The helper under test is built with its store and runtime base in the build
tree (weft-mount-helper-test); it is not setuid here. Run by root, it gets as
far as the device-mapper step; run by another user (uid 65534 through
setpriv when the suite runs as root), it stops where it would need root.
Each error is one exact line on stderr.
"""

import os
import shutil
import stat
import subprocess

import pytest

from mhutil import BUILD, HELPER, INSTALLED, WEFT_PACK

PROG = "weft-mount-helper"
USAGE = f"(usage: {PROG} mount IMAGE ROOTHASH | unmount MOUNTPOINT)"
TEST_DIR = os.path.join(BUILD, "tests", "mount-helper")
STORE = os.path.join(TEST_DIR, "store")
RUN = os.path.join(TEST_DIR, "run")
HASH = "0123456789abcdef" * 4
ID = "org.example.hello"
NOBODY = 65534

is_root = os.geteuid() == 0
need_root = pytest.mark.skipif(not is_root, reason="a root-owned store needs root to set up")
SETPRIV = shutil.which("setpriv")
CALLERS = ["self"] + (["nobody"] if is_root and SETPRIV else [])


def run(*args, caller="self", binary=HELPER):
    cmd = [binary, *map(str, args)]
    if caller == "nobody":
        cmd = [SETPRIV, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]
    # Whatever the caller's environment says, the helper ignores it.
    env = {"PATH": "/nonexistent", "LD_LIBRARY_PATH": "/nonexistent", "LANG": "de_DE.UTF-8",
           "XDG_RUNTIME_DIR": "/tmp"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)


def fails(r, line, status=1):
    """Exactly one line on stderr, nothing on stdout, the status."""
    assert (r.returncode, r.stderr, r.stdout) == (status, f"{PROG}: {line}\n", "")


def caller_uid(caller):
    return NOBODY if caller == "nobody" else os.getuid()


@pytest.fixture
def store():
    """The test store, root-owned, with a well-formed image and hash tree."""
    os.makedirs(STORE, mode=0o755, exist_ok=True)
    os.chmod(STORE, 0o755)
    for f in os.listdir(STORE):
        p = os.path.join(STORE, f)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)
    for name in (f"{ID}.erofs", f"{ID}.erofs.verity"):
        with open(os.path.join(STORE, name), "wb") as f:
            f.write(b"\0" * 4096)
        os.chmod(os.path.join(STORE, name), 0o644)
    yield STORE
    os.chmod(STORE, 0o755)


@pytest.fixture
def runtime_dir():
    """BUILD/tests/mount-helper/run/UID for each caller, as logind makes them."""
    shutil.rmtree(RUN, ignore_errors=True)
    os.makedirs(RUN, mode=0o755)
    dirs = {}
    for caller in CALLERS:
        uid = caller_uid(caller)
        d = os.path.join(RUN, str(uid))
        os.mkdir(d, 0o700)
        if uid != os.getuid():
            os.chown(d, uid, uid)
        dirs[caller] = d
    yield dirs
    shutil.rmtree(RUN, ignore_errors=True)


@pytest.mark.parametrize("caller", CALLERS)
def test_missing_arguments(caller):
    fails(run(caller=caller), f"missing command {USAGE}", 2)
    fails(run("mount", caller=caller), f"mount takes IMAGE and ROOTHASH {USAGE}", 2)
    fails(run("mount", f"{STORE}/{ID}.erofs", caller=caller),
          f"mount takes IMAGE and ROOTHASH {USAGE}", 2)
    fails(run("mount", f"{STORE}/{ID}.erofs", HASH, "x", caller=caller),
          f"mount takes IMAGE and ROOTHASH {USAGE}", 2)
    fails(run("unmount", caller=caller), f"unmount takes MOUNTPOINT {USAGE}", 2)
    fails(run("unmount", "/a", "/b", caller=caller), f"unmount takes MOUNTPOINT {USAGE}", 2)


@pytest.mark.parametrize("caller", CALLERS)
def test_unknown_command(caller):
    fails(run("mnt", f"{STORE}/{ID}.erofs", HASH, caller=caller), f"unknown command {USAGE}", 2)
    fails(run("", caller=caller), f"unknown command {USAGE}", 2)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("bad", [
    "", HASH[:-1], HASH + "0", HASH.upper(), HASH[:-1] + "g", HASH[:-1] + "\n",
    " " + HASH[1:], "-" + HASH[1:],
])
def test_bad_root_hash(caller, bad):
    fails(run("mount", f"{STORE}/{ID}.erofs", bad, caller=caller),
          "ROOTHASH must be 64 lowercase hex digits")


@pytest.mark.parametrize("caller", CALLERS)
def test_relative_path(caller):
    for path in (f"{ID}.erofs", f"store/{ID}.erofs", f"./{ID}.erofs", ""):
        fails(run("mount", path, HASH, caller=caller),
              f"{path}: IMAGE must be an absolute path")


@pytest.mark.parametrize("caller", CALLERS)
def test_path_not_canonical(caller):
    for path in (f"{STORE}/../store/{ID}.erofs", f"{STORE}/./{ID}.erofs",
                 f"{STORE}//{ID}.erofs", f"/{STORE}/{ID}.erofs", f"{STORE}/{ID}.erofs/", "/"):
        fails(run("mount", path, HASH, caller=caller), f"{path}: not a canonical path")


@pytest.mark.parametrize("caller", CALLERS)
def test_image_outside_the_store(caller, tmp_path):
    image = tmp_path / f"{ID}.erofs"
    image.write_bytes(b"\0" * 4096)
    fails(run("mount", image, HASH, caller=caller),
          f"{image}: not in an image store ({STORE})")
    # A subdirectory of the store is not the store.
    fails(run("mount", f"{STORE}/sub/{ID}.erofs", HASH, caller=caller),
          f"{STORE}/sub/{ID}.erofs: not in an image store ({STORE})")
    fails(run("mount", f"{STORE}x/{ID}.erofs", HASH, caller=caller),
          f"{STORE}x/{ID}.erofs: not in an image store ({STORE})")


def test_installed_build_knows_only_the_system_stores(tmp_path):
    image = tmp_path / f"{ID}.erofs"
    r = run("mount", image, HASH, binary=INSTALLED)
    assert r.returncode == 1 and r.stdout == ""
    prefix = f"{PROG}: {image}: not in an image store ("
    assert r.stderr.startswith(prefix) and r.stderr.endswith("/share/weft/apps,"
                                                             "/var/lib/weft/images)\n")
    assert r.stderr.count("\n") == 1


@pytest.mark.parametrize("caller", CALLERS)
def test_image_name(caller):
    for name in ("hello.erofs", "org.example.erofs", "Org.example.hello.erofs",
                 f"{ID}.img", f"{ID}.erofs.verity", ".erofs", "org..example.hello.erofs",
                 "org.example.1hello.erofs"):
        fails(run("mount", f"{STORE}/{name}", HASH, caller=caller),
              f"{STORE}/{name}: not named <app id>.erofs")
    # The dm device's name must fit in 127 bytes.
    name = "o" * 67 + ".example.hello.erofs"
    fails(run("mount", f"{STORE}/{name}", HASH, caller=caller),
          f"{STORE}/{name}: not named <app id>.erofs (an id of at most 80 characters)")


@pytest.mark.parametrize("caller", CALLERS)
def test_symlink_into_the_store(caller, tmp_path, request):
    if is_root:
        request.getfixturevalue("store")
    link = tmp_path / f"{ID}.erofs"
    os.symlink(f"{STORE}/{ID}.erofs", link)
    os.symlink(f"{STORE}/{ID}.erofs.verity", tmp_path / f"{ID}.erofs.verity")
    fails(run("mount", link, HASH, caller=caller), f"{link}: not in an image store ({STORE})")
    # A symlink to the store's directory.
    os.symlink(STORE, tmp_path / "store")
    fails(run("mount", tmp_path / "store" / f"{ID}.erofs", HASH, caller=caller),
          f"{tmp_path}/store/{ID}.erofs: not in an image store ({STORE})")


@pytest.mark.parametrize("caller", CALLERS)
def test_too_long_arguments(caller):
    long_path = "/" + "a" * 1100 + ".erofs"
    fails(run("mount", long_path, HASH, caller=caller), f"argument too long {USAGE}", 2)
    fails(run("mount", f"{STORE}/{ID}.erofs", "a" * 2000, caller=caller),
          f"argument too long {USAGE}", 2)
    fails(run("unmount", "/" + "b" * 1100, caller=caller), f"argument too long {USAGE}", 2)
    fails(run("mount" + "x" * 1100, caller=caller), f"argument too long {USAGE}", 2)
    # 1024 bytes is still an argument: checked as a path.
    path = "/" + "a" * (1024 - 1 - len(".erofs")) + ".erofs"
    fails(run("mount", path, HASH, caller=caller),
          f"{path}: not named <app id>.erofs (an id of at most 80 characters)")


@need_root
@pytest.mark.parametrize("caller", CALLERS)
def test_symlink_in_the_store(caller, store, tmp_path):
    target = tmp_path / "elsewhere.erofs"
    target.write_bytes(b"\0" * 4096)
    os.chmod(tmp_path, 0o755)
    link = f"{store}/org.example.link.erofs"
    os.symlink(target, link)
    fails(run("mount", link, HASH, caller=caller), f"{link}: a symbolic link, refused")
    # The hash tree as a symlink.
    os.unlink(f"{store}/{ID}.erofs.verity")
    os.symlink(target, f"{store}/{ID}.erofs.verity")
    fails(run("mount", f"{store}/{ID}.erofs", HASH, caller=caller),
          f"{store}/{ID}.erofs.verity: a symbolic link, refused")


@need_root
@pytest.mark.parametrize("caller", CALLERS)
def test_store_files_the_caller_could_change(caller, store):
    image = f"{store}/{ID}.erofs"
    os.chmod(image, 0o666)
    fails(run("mount", image, HASH, caller=caller),
          f"{image}: not owned by root or writable by others, refused")
    os.chmod(image, 0o664)
    fails(run("mount", image, HASH, caller=caller),
          f"{image}: not owned by root or writable by others, refused")
    os.chmod(image, 0o644)
    os.chown(f"{image}.verity", NOBODY, NOBODY)
    fails(run("mount", image, HASH, caller=caller),
          f"{image}.verity: not owned by root or writable by others, refused")
    os.chown(f"{image}.verity", 0, 0)
    os.chmod(store, 0o777)
    fails(run("mount", image, HASH, caller=caller),
          f"{store}: not owned by root or writable by others, refused")


@need_root
@pytest.mark.parametrize("caller", CALLERS)
def test_store_entries_that_are_not_files(caller, store):
    d = f"{store}/org.example.dir.erofs"
    os.mkdir(d, 0o755)
    fails(run("mount", d, HASH, caller=caller), f"{d}: not a regular file")
    fifo = f"{store}/org.example.fifo.erofs"
    os.mkfifo(fifo, 0o644)
    fails(run("mount", fifo, HASH, caller=caller), f"{fifo}: not a regular file")
    missing = f"{store}/org.example.missing.erofs"
    fails(run("mount", missing, HASH, caller=caller), f"{missing}: No such file or directory")
    os.unlink(f"{store}/{ID}.erofs.verity")
    fails(run("mount", f"{store}/{ID}.erofs", HASH, caller=caller),
          f"{store}/{ID}.erofs.verity: No such file or directory")


def have_image_tools():
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return (os.access(WEFT_PACK, os.X_OK) and
            all(shutil.which(t, path=path) for t in ("mkfs.erofs", "veritysetup")))


@pytest.fixture
def image(store, tmp_path):
    """A real image of a small package, by weft-pack build-image, in the store:
    (path, root hash)."""
    if not have_image_tools():
        pytest.skip("weft-pack, mkfs.erofs or veritysetup missing "
                    "(Debian packages erofs-utils, cryptsetup-bin)")
    pkg = tmp_path / "pkg"
    (pkg / "ui").mkdir(parents=True)
    (pkg / "wapp.toml").write_text(
        f'[package]\nid = "{ID}"\nname = "Hello"\nversion = "1.0.0"\n\n'
        '[runtime]\nmodule = "app.wasm"\n\n[ui]\nentry = "ui/index.html"\n')
    (pkg / "app.wasm").write_bytes(bytes.fromhex("0061736d0d000100"))
    (pkg / "ui" / "index.html").write_text("<!doctype html><p>hello</p>\n")
    # Several data blocks, so that one of them can be tampered with.
    (pkg / "ui" / "data.txt").write_text("".join(f"line {i}\n" for i in range(20000)))
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    subprocess.run([WEFT_PACK, "build-image", pkg, "-o", out / f"{ID}.erofs"], check=True,
                   capture_output=True, env=env, timeout=120)
    for suffix in ("", ".verity"):
        shutil.copyfile(out / f"{ID}.erofs{suffix}", f"{store}/{ID}.erofs{suffix}")
    return f"{store}/{ID}.erofs", (out / f"{ID}.erofs.roothash").read_text().strip()


@need_root
def test_a_good_image_reaches_the_privileged_step(image, runtime_dir):
    """Nothing above refuses a good image: root reaches device-mapper, a user
    running the helper without its setuid bit is told so."""
    path, root_hash = image
    if not os.path.exists("/dev/mapper/control"):
        fails(run("mount", path, root_hash), "device-mapper not available (no /dev/mapper/control)")
    if "nobody" in CALLERS:
        fails(run("mount", path, root_hash, caller="nobody"),
              "not installed setuid root: cannot create the device or mount it")
    # Nothing was made in the runtime directories.
    for d in runtime_dir.values():
        assert os.listdir(d) == []


@need_root
@pytest.mark.parametrize("caller", CALLERS)
def test_tampered_image_or_wrong_hash(caller, image, runtime_dir):
    """The whole image is checked against the root hash before anything is
    made, device-mapper or not."""
    path, root_hash = image
    mismatch = f"{path}: does not match its root hash (tampered, or the wrong hash)"
    wrong = root_hash[:-1] + ("0" if root_hash[-1] != "0" else "1")
    fails(run("mount", path, wrong, caller=caller), mismatch)
    good = open(path, "rb").read()
    # One bit of one data block of the file system.
    tampered = bytearray(good)
    tampered[len(good) // 2] ^= 1
    with open(path, "wb") as f:
        f.write(tampered)
    fails(run("mount", path, root_hash, caller=caller), mismatch)
    # The superblock.
    tampered = bytearray(good)
    tampered[1024 + 8] ^= 0x80
    with open(path, "wb") as f:
        f.write(tampered)
    fails(run("mount", path, root_hash, caller=caller), mismatch)
    with open(path, "wb") as f:
        f.write(good)
    # One bit of the hash tree (past its 4096-byte superblock).
    verity = open(f"{path}.verity", "rb").read()
    tampered = bytearray(verity)
    tampered[4096 + 7] ^= 1
    with open(f"{path}.verity", "wb") as f:
        f.write(tampered)
    fails(run("mount", path, root_hash, caller=caller), mismatch)
    # No hash tree at all.
    with open(f"{path}.verity", "wb") as f:
        f.write(b"\0" * 4096)
    fails(run("mount", path, root_hash, caller=caller),
          f"{path}.verity: not a dm-verity hash tree: Invalid argument")
    for d in runtime_dir.values():
        assert os.listdir(d) == []


@pytest.mark.parametrize("caller", CALLERS)
def test_unmount_of_what_it_did_not_make(caller, runtime_dir, tmp_path):
    uid = caller_uid(caller)
    images = f"{RUN}/{uid}/weft/images"
    name = f"{ID}-{HASH[:16]}"
    other = 4242 if uid != 4242 else 4243
    for path in (str(tmp_path), "/", f"{images}", f"{images}/", f"{images}/{name}/",
                 f"{images}/{name}/x", f"{images}/../images/{name}", f"{images}/{ID}",
                 f"{images}/{ID}-{HASH[:15]}", f"{images}/{ID}-{HASH[:16].upper()}",
                 f"{images}/hello-{HASH[:16]}", f"{RUN}/{other}/weft/images/{name}",
                 f"/run/user/{uid}/weft/images/{name}", f"images/{name}",
                 f"{images}/{name}"):  # the right form, but not there
        fails(run("unmount", path, caller=caller),
              f"{path}: not a mount point made by {PROG}")
    assert sorted(os.listdir(RUN)) == sorted(str(caller_uid(c)) for c in CALLERS)


@need_root
@pytest.mark.parametrize("caller", CALLERS)
def test_unmount_of_a_directory_with_nothing_mounted(caller, runtime_dir):
    """images/ and the directory as the helper makes them, but no mount."""
    uid = caller_uid(caller)
    weft = f"{RUN}/{uid}/weft"
    os.mkdir(weft, 0o700)
    os.chown(weft, uid, uid)
    os.mkdir(f"{weft}/images", 0o755)
    path = f"{weft}/images/{ID}-{HASH[:16]}"
    os.mkdir(path, 0o755)
    fails(run("unmount", path, caller=caller), f"{path}: not a mount point made by {PROG}")
    assert os.path.isdir(path)
    # images/ that the caller could write to.
    os.chmod(f"{weft}/images", 0o777)
    fails(run("unmount", path, caller=caller),
          f"{weft}/images: not owned by root or writable by others, refused")
    os.chmod(f"{weft}/images", 0o755)
    # A runtime directory that is not the caller's.
    os.chown(f"{RUN}/{uid}", 4242, 4242)
    fails(run("unmount", path, caller=caller),
          f"{RUN}/{uid}: not the caller's runtime directory")


def test_help():
    r = run("--help")
    assert r.returncode == 0 and r.stdout.startswith(f"Usage: {PROG} mount IMAGE ROOTHASH\n")
