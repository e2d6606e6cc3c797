"""Session lifecycle (design §2) with weft-app-shell and Servo: the same
teardown paths as tests/appd, where a stand-in plays the app-shell."""

import os
import signal

import pytest

from appdutil import COUNTER, NOTES, Watcher, alive, wait_until
from test_apps import Frame, buttons
from test_lifecycle import session_pids, twenty_at_once


def counter_on_screen(weft):
    return buttons(Frame(weft)) is not None


@pytest.mark.parametrize("victim", ["runtime", "app-shell"])
def test_kill_9_crashes_the_session(weft, victim):
    session = weft.launch(COUNTER)
    pids = {"runtime": session["runtime_pid"], "app-shell": session["app_shell_pid"]}
    wait_until("the counter's window", lambda: counter_on_screen(weft), timeout=30)
    os.kill(pids[victim], signal.SIGKILL)
    ended = weft.wait_state(session["id"], "crashed", "stopped")
    assert ended["state"] == "crashed", ended
    assert ended["exit"] == {"process": victim, "signal": 9}
    assert not any(alive(p) for p in pids.values())
    wait_until("the window to go", lambda: not counter_on_screen(weft))


def test_terminate_while_starting(weft):
    w = Watcher(weft)
    sid = weft.launch(COUNTER, wait=False)["id"]
    weft.ctl("terminate", sid, "--wait")
    states = w.states(sid)
    w.close()
    assert states[0] == "starting" and states[-1] == "stopped"
    assert "running" not in states
    assert not any(alive(p) for p in session_pids(weft.state(sid)))


def test_appd_sigkill_leaves_no_session_process(weft):
    sessions = [weft.launch(COUNTER), weft.launch(NOTES)]
    pids = [p for s in sessions for p in session_pids(s)]
    assert len(pids) == 4 and all(alive(p) for p in pids)
    old = weft.appd_pid
    os.kill(old, signal.SIGKILL)
    wait_until("every session process to die", lambda: not any(alive(p) for p in pids),
               timeout=5)
    # The compositor starts a new appd, which brings both apps back.
    weft.wait_for_appd(old_pid=old)
    wait_until("both apps back, running", lambda: (
        ps := weft.ctl_json("ps"),
        len(ps) == 2 and all(s["state"] == "running" for s in ps))[-1], timeout=60)


def test_twenty_at_once(weft):
    twenty_at_once(weft, 240, while_running=lambda: wait_until(
        "a counter on screen", lambda: counter_on_screen(weft), timeout=60))
    assert not counter_on_screen(weft)
