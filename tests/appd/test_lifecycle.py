"""Session lifecycle (design §2) with every part real but the app-shell: the
headless compositor starts appd, appd starts the real runtime on the real
counter package and the stand-in app-shell in a tagged Wayland client."""

import json
import os
import signal
import subprocess

from appdutil import COUNTER, NOTES, STANDIN_CONNECTED, WEFTCTL, Watcher, alive, fake, \
    fake_log, fd_count, settled_fd_count, settled_spare, wait_until


def session_pids(session):
    return [session[k] for k in ("runtime_pid", "app_shell_pid") if k in session]


def weftctl(weft, *args, json_output=True):
    """weftctl as a background process."""
    return subprocess.Popen([str(WEFTCTL), *(["--json"] if json_output else []), "--socket",
                             str(weft.socket), *args], env=weft.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def plain(weft, *args):
    """weftctl ARGS without --json: (status, stdout, stderr)."""
    p = weftctl(weft, *args, json_output=False)
    out, err = p.communicate(timeout=60)
    return p.returncode, out, err


def test_launch_wait_runs_and_terminate_stops(weft):
    session = weft.launch(COUNTER)
    sid = session["id"]
    assert session["state"] == "running" and session["launch_ms"] > 0
    runtime, shell = session["runtime_pid"], session["app_shell_pid"]
    assert alive(runtime) and alive(shell)
    # One process group for the session, led by the runtime.
    assert os.getpgid(runtime) == runtime and os.getpgid(shell) == runtime

    # The stand-in turns green once the component answered its "get": the
    # window is on screen and runtime and app-shell are wired together.
    wait_until("the app's window, connected", lambda: weft.centre_colour() == STANDIN_CONNECTED)

    assert weft.state(sid)["state"] == "running"
    ps = weft.ctl_json("ps")
    assert [(s["id"], s["app_id"], s["state"]) for s in ps] == [(sid, COUNTER, "running")]
    status, out, _ = plain(weft, "ps")
    assert status == 0
    # The tests run appd with --limits none.
    assert out.splitlines()[1].split() == [sid, COUNTER, "running", "no", f"{runtime},{shell}"]

    done = weft.ctl_json("terminate", sid, "--wait")
    assert done["state"] == "stopped" and done["reason"] == "terminated"
    assert not alive(runtime) and not alive(shell)
    assert weft.ctl_json("ps") == []
    assert [s["state"] for s in weft.ctl_json("ps", "--all")] == ["stopped"]
    wait_until("the window to go", lambda: weft.centre_colour() != STANDIN_CONNECTED)


def test_human_output(weft):
    status, out, _ = plain(weft, "launch", COUNTER, "--wait")
    assert status == 0
    sid = out.strip()
    limits = "limits: not enforced: --limits none\n"
    # One line per process: what its sandbox holds.
    limits += "".join(p["summary"] + "\n" for p in weft.state(sid)["sandbox"].values())
    assert limits.count("\nsandbox ") == 2
    assert plain(weft, "state", sid) == (0, "running\n" + limits, "")
    assert plain(weft, "terminate", sid, "--wait") == (0, "stopped: terminated\n", "")
    assert plain(weft, "state", sid) == (0, "stopped: terminated\n" + limits, "")
    status, out, _ = plain(weft, "list")
    assert out.splitlines()[0].split() == ["ID", "VERSION", "NAME"]
    assert [line.split()[0] for line in out.splitlines()[1:]] == [COUNTER, NOTES]


def test_kill_runtime_crashes_the_session(weft):
    session = weft.launch()
    sid, runtime, shell = session["id"], session["runtime_pid"], session["app_shell_pid"]
    wait_until("the window", lambda: weft.centre_colour() == STANDIN_CONNECTED)
    os.kill(runtime, signal.SIGKILL)
    ended = weft.wait_state(sid, "crashed", "stopped")
    assert ended["state"] == "crashed", ended
    assert ended["exit"] == {"process": "runtime", "signal": 9}
    assert ended["reason"] == "runtime killed by signal 9 (Killed)"
    assert not alive(shell)
    wait_until("the window to go", lambda: weft.centre_colour() != STANDIN_CONNECTED)


def test_kill_app_shell_tears_the_session_down(weft):
    session = weft.launch()
    sid, runtime, shell = session["id"], session["runtime_pid"], session["app_shell_pid"]
    os.kill(shell, signal.SIGKILL)
    ended = weft.wait_state(sid, "crashed", "stopped")
    assert ended["state"] == "crashed", ended
    assert ended["exit"] == {"process": "app-shell", "signal": 9}
    assert not alive(runtime)


def test_terminate_while_starting_before_ready(weft):
    w = Watcher(weft)
    # Launch and terminate back to back on one connection, so that appd
    # reads both long before the runtime can say READY. Ids count up.
    known = weft.ctl_json("ps", "--all")
    sid = str(int(known[-1]["id"]) + 1 if known else 1)
    sock = weft.connect()
    sock.send(json.dumps({"id": 1, "type": "launch", "app_id": COUNTER}).encode())
    sock.send(json.dumps({"id": 2, "type": "terminate", "session_id": sid}).encode())
    launched = json.loads(sock.recv(1 << 20))
    terminated = json.loads(sock.recv(1 << 20))
    sock.close()
    assert launched["session"]["id"] == sid and launched["session"]["state"] == "starting"
    assert terminated["id"] == 2 and terminated["session"]["state"] == "stopping"
    assert w.states(sid) == ["starting", "stopping", "stopped"]
    w.close()
    assert not alive(launched["session"]["runtime_pid"])


def test_terminate_at_once_needs_no_sigkill(start):
    # Each session process is pid 1 of its pid namespace, where the kernel
    # drops a SIGTERM that is neither handled nor blocked. appd's SIGTERM,
    # sent while the runtime is still starting (before it blocks SIGTERM
    # for its signal thread), must wait for it, not be lost until the
    # SIGKILL after the grace period: a minute here.
    weft = start(appd_args=("--grace", "60000"))
    w = Watcher(weft)
    known = weft.ctl_json("ps", "--all")
    sid = str(int(known[-1]["id"]) + 1 if known else 1)
    sock = weft.connect()
    sock.send(json.dumps({"id": 1, "type": "launch", "app_id": COUNTER}).encode())
    sock.send(json.dumps({"id": 2, "type": "terminate", "session_id": sid}).encode())
    launched = json.loads(sock.recv(1 << 20))
    terminated = json.loads(sock.recv(1 << 20))
    sock.close()
    assert launched["session"]["id"] == sid and terminated["id"] == 2
    assert w.states(sid, timeout=30) == ["starting", "stopping", "stopped"]
    w.close()
    ended = weft.state(sid)
    assert ended["state"] == "stopped" and ended["reason"] == "terminated", ended
    assert "SIGKILL" not in weft.logs()


def test_sigterm_before_the_runtime_handles_it(start, tmp_path):
    # The same without a race: the fake runtime takes its time before it
    # handles SIGTERM, until after appd sent it.
    weft, log = fake(start, "term-late", tmp_path, appd_args=("--grace", "60000"))
    sid = weft.launch(wait=False)["id"]
    wait_until("the runtime to start", lambda: {"waiting": True} in fake_log(log))
    assert weft.ctl_json("terminate", sid)["state"] == "stopping"
    with open(log, "a") as f:
        f.write(json.dumps({"go": True}) + "\n")
    ended = weft.wait_state(sid, "stopped", "crashed", timeout=30)
    assert ended["state"] == "stopped" and ended["reason"] == "terminated", ended
    assert {"term": True} in fake_log(log)
    assert "SIGKILL" not in weft.logs()


def test_terminate_while_starting_waiting_for_first_frame(start):
    # The stand-in never draws: READY came, the app-shell runs, no frame.
    weft = start(env={"WEFT_STANDIN_NO_FRAME": "1"})
    w = Watcher(weft)
    sid = weft.launch(wait=False)["id"]
    shell = wait_until("the app-shell", lambda: weft.state(sid).get("app_shell_pid"))
    assert weft.state(sid)["state"] == "starting"
    weft.ctl("terminate", sid, "--wait")
    assert w.states(sid) == ["starting", "stopping", "stopped"]
    w.close()
    assert not alive(shell)


def test_appd_sigkill_leaves_no_session_process(weft):
    sessions = [weft.launch(COUNTER), weft.launch(NOTES)]
    pids = [p for s in sessions for p in session_pids(s)]
    assert all(alive(p) for p in pids)
    old = weft.appd_pid
    os.kill(old, signal.SIGKILL)
    wait_until("every session process to die", lambda: not any(alive(p) for p in pids),
               timeout=5)

    # The compositor starts a new appd, which brings both apps back as new
    # sessions.
    weft.wait_for_appd(old_pid=old)
    restored = wait_until("both apps back, running", lambda: (
        ps := weft.ctl_json("ps"),
        len(ps) == 2 and all(s["state"] == "running" for s in ps) and ps)[-1], timeout=20)
    assert sorted(s["app_id"] for s in restored) == [COUNTER, NOTES]
    assert not {s["id"] for s in restored} & {s["id"] for s in sessions}
    wait_until("a window, connected", lambda: weft.centre_colour() == STANDIN_CONNECTED)


def twenty_at_once(weft, launch_timeout, while_running=None):
    """Launches the counter 20 times at once, checks that all run, calls
    while_running(), terminates all, and checks that nothing leaked:
    no process, no session, no fd in appd or the compositor. appd's spare
    app-shell, when it keeps one, is the only process it may have left."""
    settled_spare(weft)
    baseline_appd = settled_fd_count(weft.appd_pid, weft.socket)
    baseline_compositor = settled_fd_count(weft.proc.pid, weft.wayland_socket())
    launches = [weftctl(weft, "launch", COUNTER, "--wait", "--timeout", str(launch_timeout))
                for _ in range(20)]
    sessions = []
    for p in launches:
        out, err = p.communicate(timeout=launch_timeout + 30)
        assert p.returncode == 0, err + weft.logs()
        sessions.append(json.loads(out))
    assert len({s["id"] for s in sessions}) == 20
    ps = weft.ctl_json("ps")
    assert len(ps) == 20 and all(s["state"] == "running" for s in ps)
    pids = [p for s in ps for p in session_pids(s)]
    assert len(pids) == 40 and all(alive(p) for p in pids)
    if while_running:
        while_running()

    terminations = [weftctl(weft, "terminate", s["id"], "--wait") for s in sessions]
    for p in terminations:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        assert json.loads(out)["state"] == "stopped"
    assert not any(alive(p) for p in pids)
    assert weft.ctl_json("ps") == []
    # The compositor runs appd through sh -c, which may stay as its parent.
    with open(f"/proc/{weft.appd_pid}/stat") as f:
        appd_parent = int(f.read().rsplit(")", 1)[1].split()[1])
    spare = settled_spare(weft)
    assert set(weft.leftovers()) <= {weft.proc.pid, appd_parent, weft.appd_pid, spare}
    wait_until("appd to hold only what it held",
               lambda: fd_count(weft.appd_pid) == baseline_appd)
    wait_until("the compositor to drop the clients",
               lambda: fd_count(weft.proc.pid) == baseline_compositor)


def test_twenty_at_once(weft):
    twenty_at_once(weft, 120)

