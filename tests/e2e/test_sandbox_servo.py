"""The real weft-app-shell under its seccomp allowlist (issue 11): started by
appd directly or prewarmed as the spare and adopted, every thread Servo and
Mesa started has the filter, the process has no capabilities and
no_new_privs, appd's report says the allowlist is in force, the counter
still counts on screen, and the shell made no call outside the list (its
SIGSYS handler would have said so in appd's log). Mesa has a shader cache:
the spare the trusted one appd's warm-up made (an overlay: read-only to
it), an app-shell started for the app that app's own. Without a GPU the
app-shell renders with SWGL, not Mesa: no Mesa driver or libLLVM in it, and
nothing for Mesa to cache (the warm-up renders in software too)."""

import glob
from pathlib import Path

import pytest

from appdutil import COUNTER, settled_spare, wait_until
from test_apps import count_to_two


def fs_type(pid, path):
    found = None
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == str(path):
            found = fields[fields.index("-") + 1]
    return found


def cache_entries(directory):
    """The files Mesa cached below directory (not its index)."""
    if not directory.is_dir():
        return []
    return [p for p in directory.rglob("*") if p.is_file() and p.name != "index"]


def gl_driver_mapped(pid):
    """Whether the process maps a Mesa driver or libLLVM."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return any(name in maps for name in ("libLLVM", "libgallium", "_dri.so"))


def status(path):
    fields = {}
    for line in Path(path).read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


@pytest.mark.parametrize("prewarm", [False, True], ids=["started", "spare"])
def test_app_shell_runs_under_its_seccomp_filter(request, prewarm):
    weft = request.getfixturevalue("weft" if prewarm else "weft_no_prewarm")
    spare = settled_spare(weft) if prewarm else None
    if prewarm:
        assert spare is not None
    session = weft.launch(COUNTER)
    assert session["state"] == "running"
    pid = session["app_shell_pid"]
    if prewarm:
        assert pid == spare
    report = session["sandbox"]["app-shell"]
    assert report["kind"] == ("spare" if prewarm else "app-shell")
    assert report["seccomp"] == "weft-app-shell allowlist"

    st = status(f"/proc/{pid}/status")
    assert st["Seccomp"] == "2"
    assert st["NoNewPrivs"] == "1"
    assert int(st["CapEff"], 16) == 0
    # Servo, SpiderMonkey and llvmpipe run many threads: each has it.
    threads = list(Path(f"/proc/{pid}/task").iterdir())
    assert len(threads) > 1
    for task in threads:
        try:
            assert status(task / "status")["Seccomp"] == "2", task
        except FileNotFoundError:
            pass  # the thread ended meanwhile

    cache = Path(weft.env["XDG_CACHE_HOME"]).resolve() / "weft"
    if prewarm:
        # The warm-up ran the real app-shell, which filled the cache.
        trusted = cache / "shader-cache" / "mesa"
        assert report["shader_cache"] == "trusted read-only"
        assert (cache / "shader-cache" / "stamp").is_file()
        assert fs_type(pid, trusted) == "overlay"
    else:
        own = cache / "apps" / COUNTER / "mesa"
        assert report["shader_cache"] == "app"
        assert fs_type(pid, own) != "overlay"

    count_to_two(weft)
    mesa = gl_driver_mapped(pid)
    if not glob.glob("/dev/dri/renderD*"):
        assert not mesa, "without a GPU the app-shell renders with SWGL, not Mesa"
    if mesa and not prewarm:
        wait_until("Mesa to fill the app's own cache",
                   lambda: cache_entries(own / "mesa_shader_cache"), timeout=30)
    assert status(f"/proc/{pid}/status")["Seccomp"] == "2"
    assert "allowlist: it fails with ENOSYS" not in weft.logs()
    done = weft.ctl_json("terminate", session["id"], "--wait")
    assert done["state"] == "stopped"
