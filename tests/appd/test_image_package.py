"""A package installed as an image (weft-pack build-image: <id>.erofs, its
hash tree and root hash in a store root): appd mounts it through
weft-mount-helper at launch. Here the helper cannot mount (no
device-mapper, not setuid, the image in the user's store), so each launch
fails with the helper's own line; the mount itself is the VM lane's
(tests/mount-helper/real-mount.sh)."""

import os
import shutil
import subprocess

import pytest

from appdutil import BUILD, COUNTER, WEFT_PACK, make_package

APP = "org.weft.test.imaged"
HELPER = BUILD / "mount-helper" / "weft-mount-helper"


def have_image_tools():
    path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    return all(shutil.which(t, path=path) for t in ("mkfs.erofs", "veritysetup"))


pytestmark = [
    pytest.mark.skipif(not have_image_tools(), reason="mkfs.erofs or veritysetup missing "
                       "(Debian packages erofs-utils, cryptsetup-bin)"),
    pytest.mark.skipif(not HELPER.exists(), reason="weft-mount-helper not built "
                       "(libcryptsetup-dev missing)"),
]


def install_image(store, tmp_path, app_id=APP):
    """The counter as app_id, signed, built into an image in store."""
    pkg = make_package(tmp_path / "pkgs", app_id)
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    subprocess.run([str(WEFT_PACK), "build-image", str(pkg), "-o",
                    str(store / f"{app_id}.erofs")], check=True, capture_output=True,
                   env=env, timeout=120)
    return store / f"{app_id}.erofs"


def launch_error(weft, app_id=APP):
    r = weft.ctl("launch", app_id, check=False)
    assert r.returncode == 1 and r.stdout == "", r
    assert r.stderr.startswith("weftctl: ") and r.stderr.count("\n") == 1, r.stderr
    return r.stderr[len("weftctl: "):-1]


def test_image_outside_the_system_stores(start, tmp_path):
    weft = start(appd_args=["--allow-untrusted"], env={"WEFT_APP_STORE": ""})
    image = install_image(weft.user_store, tmp_path)
    pid = weft.appd_pid
    assert launch_error(weft).startswith(
        f"{APP}: image mount failed: weft-mount-helper: {image}: not in an image store (")
    # appd goes on, without a session; the other apps launch.
    assert weft.ctl_json("info")["pid"] == pid
    assert weft.ctl_json("ps") == []
    assert "image mount failed" in weft.logs()
    # Without its root hash the image is not even tried.
    os.unlink(f"{image}.roothash")
    assert launch_error(weft) == (f"{APP}: no root hash (64 hex digits) in "
                                  f"{image}.roothash")


def test_mount_helper_missing(start, tmp_path):
    weft = start(appd_args=["--allow-untrusted", "--mount-helper", str(tmp_path / "none")],
                 env={"WEFT_APP_STORE": ""})
    install_image(weft.user_store, tmp_path)
    assert launch_error(weft) == (f"{APP}: image mount failed: run {tmp_path}/none: "
                                  "No such file or directory")


def test_a_directory_comes_before_an_image(start, tmp_path):
    weft = start(appd_args=["--allow-untrusted"], env={"WEFT_APP_STORE": ""})
    install_image(weft.user_store, tmp_path)
    make_package(weft.user_store, APP)
    session = weft.launch(APP)
    assert session["state"] == "running"
    weft.ctl("terminate", session["id"], "--wait")


def test_not_installed_is_still_not_installed(start):
    weft = start(appd_args=["--allow-untrusted"])
    assert launch_error(weft, "org.weft.test.nowhere") == \
        "org.weft.test.nowhere is not installed"
    assert weft.launch(COUNTER)["state"] == "running"
