"""The real weft-app-shell under its seccomp allowlist (issue 11): started by
appd directly or prewarmed as the spare and adopted, every thread Servo and
Mesa started has the filter, the process has no capabilities and
no_new_privs, appd's report says the allowlist is in force, the counter
still counts on screen, and the shell made no call outside the list (its
SIGSYS handler would have said so in appd's log)."""

from pathlib import Path

import pytest

from appdutil import COUNTER, settled_spare
from test_apps import count_to_two


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

    count_to_two(weft)
    assert status(f"/proc/{pid}/status")["Seccomp"] == "2"
    assert "allowlist: it fails with ENOSYS" not in weft.logs()
    done = weft.ctl_json("terminate", session["id"], "--wait")
    assert done["state"] == "stopped"
