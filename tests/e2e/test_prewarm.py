"""appd's spare app-shell (weft-app-shell --prewarm): Servo started before
any launch, in the spare's sandbox, adopted by the next one, which joins
its session's limits; a new spare follows, and none outlives appd."""

import os
import signal
import subprocess

import pytest

from appdutil import APP_SHELL, COUNTER, NOTES, WEFTCTL, Weft, alive, settled_spare, \
    stop_and_check, wait_until
from test_lifecycle import session_pids
from test_lifecycle_servo import counter_on_screen


def cgroup_of(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        return f.read()


def ppid_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def test_launch_adopts_the_spare(weft):
    spare = settled_spare(weft)
    assert spare is not None, weft.logs()
    assert alive(spare) and ppid_of(spare) == weft.appd_pid
    # A group of its own until a session adopts it.
    assert os.getpgid(spare) == spare
    # weftctl info tells a person too.
    info = subprocess.run([str(WEFTCTL), "--socket", str(weft.socket), "info"], env=weft.env,
                          capture_output=True, text=True, check=True, timeout=30).stdout
    assert f"spare app-shell: ready (pid {spare})" in info.splitlines(), info

    session = weft.launch(COUNTER)
    assert session["state"] == "running"
    assert session["app_shell_pid"] == spare
    assert f"session {session['id']}: adopted the spare app-shell {spare}" in weft.logs()
    # It joined the session's cgroup, whatever cgroup the runtime is in.
    # In its sandbox it is pid 1 of its own pid namespace and cannot name
    # the runtime's process group: it keeps its own, and appd signals it by
    # its pidfd (the teardown below ends it).
    assert cgroup_of(spare) == cgroup_of(session["runtime_pid"])
    assert os.getpgid(spare) == spare
    report = session["sandbox"]["app-shell"]
    assert report["enforced"] is True and report["kind"] == "spare", report
    assert os.readlink(f"/proc/{spare}/ns/pid") != os.readlink(f"/proc/{weft.appd_pid}/ns/pid")
    wait_until("the counter's window", lambda: counter_on_screen(weft), timeout=60)

    # A new spare follows; the next launch adopts that one.
    following = settled_spare(weft)
    assert following is not None and following != spare
    again = weft.launch(NOTES)
    assert again["app_shell_pid"] == following

    for s in (session, again):
        done = weft.ctl_json("terminate", s["id"], "--wait")
        assert done["state"] == "stopped"
        assert not any(alive(p) for p in session_pids(s))


def test_killed_spare_is_replaced(weft):
    spare = settled_spare(weft)
    assert spare is not None
    os.kill(spare, signal.SIGKILL)
    wait_until("appd to see the spare die",
               lambda: weft.ctl_json("info")["spare"].get("pid") != spare)
    following = settled_spare(weft)
    assert following is not None and following != spare
    session = weft.launch(COUNTER)
    assert session["state"] == "running"
    assert session["app_shell_pid"] == following
    wait_until("the counter's window", lambda: counter_on_screen(weft), timeout=60)
    weft.ctl_json("terminate", session["id"], "--wait")


def test_without_a_ready_spare_a_launch_spawns(weft):
    """A launch while the spare is dead and not yet replaced spawns its
    app-shell as before."""
    spare = settled_spare(weft)
    assert spare is not None
    os.kill(spare, signal.SIGKILL)
    wait_until("the dead spare to be reaped",
               lambda: weft.ctl_json("info")["spare"]["state"] == "coming")
    session = weft.launch(COUNTER)
    assert session["state"] == "running"
    assert session["app_shell_pid"] != spare
    assert "adopted the spare" not in weft.logs()
    wait_until("the counter's window", lambda: counter_on_screen(weft), timeout=60)
    weft.ctl_json("terminate", session["id"], "--wait")


def test_appd_sigkill_leaves_no_spare(weft):
    spare = settled_spare(weft)
    assert spare is not None
    old = weft.appd_pid
    os.kill(old, signal.SIGKILL)
    wait_until("the spare to die with appd", lambda: not alive(spare), timeout=5)
    # The compositor starts a new appd, which keeps a spare of its own.
    weft.wait_for_appd(old_pid=old)
    following = settled_spare(weft)
    assert following is not None and following != spare
    assert ppid_of(following) == weft.appd_pid


def test_no_prewarm_keeps_no_spare(weft_no_prewarm):
    weft = weft_no_prewarm
    assert settled_spare(weft) is None
    assert weft.ctl_json("info")["spare"] == {"state": "off",
                                                 "why": "--no-prewarm, or no compositor"}
    session = weft.launch(COUNTER)
    assert session["state"] == "running"
    weft.ctl_json("terminate", session["id"], "--wait")


def test_adopted_spare_joins_the_session_cgroup(tmp_path, cache_dir):
    """With cgroup limits, the spare is born in a cgroup of its own, out of
    appd's, and the launch that adopts it before the runtime starts makes
    that the session's cgroup, where the runtime is born too: the spare is
    not moved, which would wait for an RCU grace period (6-13 ms) on the
    launch's path."""
    try:
        weft = Weft(tmp_path / "w", cache_dir, env={"WEFT_APP_SHELL": str(APP_SHELL)},
                    appd_args=("--limits", "cgroup"))
    except AssertionError as e:
        pytest.skip(f"no delegated cgroup v2 subtree here: {str(e).splitlines()[0]}")
    try:
        spare = settled_spare(weft)
        assert spare is not None
        born = cgroup_of(spare)
        assert born != cgroup_of(weft.appd_pid)
        assert "/session-spare" in born, born
        session = weft.launch(COUNTER)
        assert session["app_shell_pid"] == spare
        assert cgroup_of(spare) == cgroup_of(session["runtime_pid"])
        assert cgroup_of(spare) == born
        mount = next(l.split()[4] for l in open("/proc/self/mountinfo")
                     if l.split()[l.split().index("-") + 1] == "cgroup2")
        where = mount + next(l[3:] for l in born.splitlines() if l.startswith("0::"))
        assert os.path.isdir(where)
        weft.ctl_json("terminate", session["id"], "--wait")
        assert not alive(spare)
        assert not os.path.exists(where)
    finally:
        try:
            stop_and_check([weft])
        finally:
            weft.cleanup()
