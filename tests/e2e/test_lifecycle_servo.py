"""Session lifecycle (design §2) with weft-app-shell and Servo: the same
teardown paths as tests/appd, where a stand-in plays the app-shell."""

import json
import os
import signal

from appdutil import COUNTER, NOTES, Watcher, alive, fd_count, settled_fd_count, wait_until
from test_apps import Frame, buttons
from test_lifecycle import session_pids, weftctl


def counter_on_screen(weft):
    return buttons(Frame(weft)) is not None


def test_kill_runtime_crashes_the_session(weft):
    session = weft.launch(COUNTER)
    sid, runtime, shell = session["id"], session["runtime_pid"], session["app_shell_pid"]
    wait_until("the counter's window", lambda: counter_on_screen(weft), timeout=30)
    os.kill(runtime, signal.SIGKILL)
    ended = weft.wait_state(sid, "crashed", "stopped")
    assert ended["state"] == "crashed", ended
    assert ended["exit"] == {"process": "runtime", "signal": 9}
    assert not alive(shell)
    wait_until("the window to go", lambda: not counter_on_screen(weft))


def test_kill_app_shell_tears_the_session_down(weft):
    session = weft.launch(COUNTER)
    sid, runtime, shell = session["id"], session["runtime_pid"], session["app_shell_pid"]
    wait_until("the counter's window", lambda: counter_on_screen(weft), timeout=30)
    os.kill(shell, signal.SIGKILL)
    ended = weft.wait_state(sid, "crashed", "stopped")
    assert ended["state"] == "crashed", ended
    assert ended["exit"] == {"process": "app-shell", "signal": 9}
    assert not alive(runtime)
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
    baseline_appd = settled_fd_count(weft.appd_pid)
    baseline_compositor = settled_fd_count(weft.proc.pid)
    launches = [weftctl(weft, "launch", COUNTER, "--wait", "--timeout", "240")
                for _ in range(20)]
    sessions = []
    for p in launches:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err + weft.logs()
        sessions.append(json.loads(out))
    ps = weft.ctl_json("ps")
    assert len(ps) == 20 and all(s["state"] == "running" for s in ps)
    pids = [p for s in ps for p in session_pids(s)]
    assert len(pids) == 40 and all(alive(p) for p in pids)
    wait_until("a counter on screen", lambda: counter_on_screen(weft), timeout=60)

    terminations = [weftctl(weft, "terminate", s["id"], "--wait") for s in sessions]
    for p in terminations:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        assert json.loads(out)["state"] == "stopped"
    assert not any(alive(p) for p in pids)
    assert weft.ctl_json("ps") == []
    with open(f"/proc/{weft.appd_pid}/stat") as f:
        appd_parent = int(f.read().rsplit(")", 1)[1].split()[1])
    assert set(weft.leftovers()) <= {weft.proc.pid, appd_parent, weft.appd_pid}
    wait_until("appd to hold only what it held",
               lambda: fd_count(weft.appd_pid) == baseline_appd)
    wait_until("the compositor to drop the clients",
               lambda: fd_count(weft.proc.pid) == baseline_compositor)
    assert not counter_on_screen(weft)
