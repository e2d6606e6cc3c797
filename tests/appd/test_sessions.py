"""What appd decides at launch and how sessions end, with appd on its own
(--no-compositor: a session runs once its runtime says READY): trust,
capabilities → grants, READY time-out, every kind of exit, the runtime
control channel, restore, and resource limits."""

import json
import os
import signal
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from appdutil import BUILD, COUNTER, NOTES, WEFTCTL, Watcher, Weft, alive, fake, fake_log, \
    make_package, wait_until

def launch_error(weft, app_id):
    r = weft.ctl("launch", app_id, check=False)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("weftctl: ") and r.stderr.count("\n") == 1, r.stderr
    return r.stderr


# ---- without a compositor ----

def test_running_at_ready_without_a_compositor(start):
    weft = start(compositor=False)
    info = weft.ctl_json("info")
    assert info["compositor"] is False
    # Found beside appd in the build tree, not named by anyone.
    assert info["runtime"].endswith("/runtime/weft-runtime")
    session = weft.launch(COUNTER)
    assert session["state"] == "running"
    assert alive(session["runtime_pid"]) and alive(session["app_shell_pid"])
    assert weft.ctl_json("terminate", session["id"], "--wait")["state"] == "stopped"


def test_stop_on_sigterm_ends_every_session(start):
    weft = start(compositor=False)
    sessions = [weft.launch(COUNTER) for _ in range(3)]
    assert weft.stop() == 0
    for s in sessions:
        assert not alive(s["runtime_pid"]) and not alive(s["app_shell_pid"])
    assert "every session has ended" in weft.logs()


# ---- trust ----

def test_unsigned_and_tampered_packages_are_refused(start):
    weft = start(compositor=False)
    make_package(weft.user_store, "org.weft.test.unsigned", signed=False)
    tampered = make_package(weft.user_store, "org.weft.test.tampered")
    (tampered / "ui" / "index.html").write_text("<p>changed after signing</p>")
    assert "not trusted" in launch_error(weft, "org.weft.test.unsigned")
    assert "not trusted" in launch_error(weft, "org.weft.test.tampered")
    reply = weft.request({"type": "launch", "app_id": "org.weft.test.unsigned"})
    assert reply["error"]["code"] == "untrusted"
    assert weft.ctl_json("ps", "--all") == []


def test_developer_mode_runs_untrusted_packages(start):
    weft = start(compositor=False, appd_args=["--allow-untrusted"])
    make_package(weft.user_store, "org.weft.test.unsigned", signed=False)
    session = weft.launch("org.weft.test.unsigned")
    assert session["state"] == "running"
    assert "running it anyway (developer mode)" in weft.logs()
    weft.ctl("terminate", session["id"], "--wait")


def test_developer_mode_still_refuses_a_broken_package(start):
    weft = start(compositor=False, env={"WEFT_ALLOW_UNTRUSTED": "1"})
    pkg = make_package(weft.user_store, "org.weft.test.symlink", signed=False)
    os.symlink("/etc/passwd", pkg / "ui" / "passwd")
    reply = weft.request({"type": "launch", "app_id": "org.weft.test.symlink"})
    assert reply["error"]["code"] == "invalid_package", reply


def test_a_manifest_for_another_id_is_refused(start):
    weft = start(compositor=False)
    pkg = make_package(weft.user_store, "org.weft.test.renamed")
    pkg.rename(weft.user_store / "org.weft.test.other")
    reply = weft.request({"type": "launch", "app_id": "org.weft.test.other"})
    assert reply["error"]["code"] == "invalid_package"
    assert "org.weft.test.renamed" in reply["error"]["message"]


def test_trust_is_checked_at_every_launch(start):
    weft = start(compositor=False)
    pkg = make_package(weft.user_store, "org.weft.test.changing")
    first = weft.launch("org.weft.test.changing")
    weft.ctl("terminate", first["id"], "--wait")
    (pkg / "app.wasm").write_bytes((pkg / "app.wasm").read_bytes() + b"\0")
    assert "not trusted" in launch_error(weft, "org.weft.test.changing")


# ---- capabilities → grants ----

def test_app_data_is_created_and_granted(start):
    weft = start(compositor=False)
    session = weft.launch(NOTES)
    data = weft.data_home / "weft" / "data" / NOTES
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    argv = Path(f"/proc/{session['runtime_pid']}/cmdline").read_bytes().split(b"\0")
    grants = [argv[i + 1] for i, a in enumerate(argv) if a == b"--grant"]
    assert grants == [b"fs:rw:app-data", b"sys:notifications"], argv
    assert argv[argv.index(b"--data") + 1] == str(data).encode()
    assert session["capabilities"] == ["fs:rw:app-data", "sys:notifications"]
    weft.ctl("terminate", session["id"], "--wait")


def test_grants_are_exactly_the_declared_capabilities(start, tmp_path):
    weft, log = fake(start, "requests", tmp_path)
    make_package(weft.user_store, "org.weft.test.grants",
                 capabilities=["net:fetch:example.org", "hw:gpu:compute", "sys:clipboard:write"])
    weft.launch("org.weft.test.grants")
    argv = wait_until("the fake runtime's log", lambda: log.exists() and fake_log(log))[0]["argv"]
    grants = [argv[i + 1] for i, a in enumerate(argv) if a == "--grant"]
    assert grants == ["net:fetch:example.org", "sys:clipboard:write"]
    assert "--data" not in argv
    assert argv[argv.index("--control-fd") + 1] == "3" and argv[argv.index("--ipc-fd") + 1] == "4"
    assert argv[-1].endswith("/org.weft.test.grants/app.wasm")


# ---- the runtime control channel ----

def test_control_requests_get_replies(start, tmp_path):
    weft, log = fake(start, "requests", tmp_path)
    make_package(weft.user_store, "org.weft.test.notify",
                 capabilities=["sys:notifications", "sys:clipboard:read"])
    watcher = Watcher(weft)
    session = weft.launch("org.weft.test.notify")
    entries = wait_until("every reply", lambda: (e := fake_log(log)) and "done" in e[-1] and e)
    replies = {r["reply"].get("id"): r["reply"] for r in entries if "reply" in r}
    assert replies[1]["ok"] is True
    assert replies[2]["error"]["code"] == "unavailable"  # no compositor, no clipboard
    assert replies[3]["error"]["code"] == "invalid_argument"
    assert replies[4]["error"]["code"] == "unknown_request"
    assert replies[None]["error"]["code"] == "bad_request"
    watcher.wait_for("notification")
    watcher.close()
    notes = [e for e in watcher.events if e.get("event") == "notification"]
    assert notes == [{"event": "notification", "session_id": session["id"],
                      "app_id": "org.weft.test.notify", "title": "Hello",
                      "body": "from a test", "icon": None}]


def test_control_requests_need_their_capability(start, tmp_path):
    weft, log = fake(start, "requests", tmp_path)
    weft.launch(COUNTER)  # declares nothing
    entries = wait_until("every reply", lambda: (e := fake_log(log)) and "done" in e[-1] and e)
    replies = {r["reply"].get("id"): r["reply"] for r in entries if "reply" in r}
    assert replies[1]["error"]["code"] == "permission_denied"
    assert replies[2]["error"]["message"] == "capability not granted: sys:clipboard:read"


# ---- how sessions end ----

def test_no_ready_in_time_is_a_crash(start, tmp_path):
    weft, _ = fake(start, "silent", tmp_path, appd_args=["--ready-timeout", "300"])
    r = weft.ctl("launch", COUNTER, "--wait", check=False)
    assert r.returncode == 1
    assert "crashed: no READY from the runtime within 300 ms" in r.stderr
    session = weft.ctl_json("ps", "--all")[0]
    assert session["state"] == "crashed" and not alive(session["runtime_pid"])
    assert "app_shell_pid" not in session


@pytest.mark.parametrize("mode, state, reason, exit", [
    ("exit:3", "crashed", "runtime exited with status 3", {"process": "runtime", "status": 3}),
    ("exit:0", "crashed", "runtime exited before READY", {"process": "runtime", "status": 0}),
    ("ready-exit:0", "stopped", "the app quit", None),
    ("ready-exit:5", "crashed", "runtime exited with status 5",
     {"process": "runtime", "status": 5}),
])
def test_runtime_exits(start, tmp_path, mode, state, reason, exit):
    weft, _ = fake(start, mode, tmp_path)
    sid = weft.launch(COUNTER, wait=False)["id"]
    ended = weft.wait_state(sid, "stopped", "crashed")
    assert (ended["state"], ended["reason"], ended.get("exit")) == (state, reason, exit)


@pytest.mark.parametrize("status, state, reason", [
    ("0", "stopped", "app-shell exited"),
    ("4", "crashed", "app-shell exited with status 4"),
])
def test_app_shell_exits(start, status, state, reason):
    weft = start(compositor=False, env={"WEFT_STANDIN_EXIT": status})
    sid = weft.launch(COUNTER, wait=False)["id"]
    ended = weft.wait_state(sid, "stopped", "crashed")
    assert (ended["state"], ended["reason"]) == (state, reason)
    assert not alive(ended["runtime_pid"])


def test_a_runtime_that_ignores_sigterm_is_killed(start, tmp_path):
    weft, log = fake(start, "silent", tmp_path, appd_args=["--grace", "300"],
                     env={"FAKE_RUNTIME_IGNORE_TERM": "1"})
    session = weft.launch(COUNTER, wait=False)
    wait_until("the fake runtime to start", lambda: log.exists())
    ended = weft.ctl_json("terminate", session["id"], "--wait")
    assert ended["state"] == "stopped"
    assert "SIGKILL" in weft.logs()


def test_a_stop_whose_grace_timer_cannot_be_armed_kills_at_once(start, tmp_path):
    # The kernel never refuses a timer: a preloaded shim refuses the one of
    # the grace period (ten minutes, far beyond the wait below). Without it
    # the session would wait for its SIGKILL for ever. Running, it has no
    # other timer armed that would fire instead.
    grace = "600000"
    asan = os.environ.get("ASAN_OPTIONS")
    env = {"FAKE_RUNTIME_IGNORE_TERM": "1", "FAKE_RUNTIME_SAY": "up\n",
           "LD_PRELOAD": str(BUILD / "tests" / "appd" / "fail-timer.so"),
           "WEFT_TEST_FAIL_TIMER_MS": grace,
           # The sanitizer wants its runtime first; the shim needs none.
           "ASAN_OPTIONS": (asan + ":" if asan else "") + "verify_asan_link_order=0"}
    weft, log = fake(start, "say", tmp_path, appd_args=["--grace", grace], env=env)
    session = weft.launch(COUNTER)
    assert session["state"] == "running"
    weft.ctl_json("terminate", session["id"])
    ended = weft.wait_state(session["id"], "stopped", timeout=30)
    assert ended["state"] == "stopped"
    logs = weft.logs()
    assert "cannot arm its timer" in logs and "SIGKILL" in logs


# ---- restore ----

def test_restore_after_a_restart(start, tmp_path):
    first = start(compositor=False)
    first.launch(COUNTER)
    first.launch(NOTES)
    ids = [s["id"] for s in first.ctl_json("ps")]
    os.kill(first.appd_pid, signal.SIGKILL)
    first.proc.wait()
    state = json.loads((first.run_dir / "weft" / "appd-state.json").read_text())
    assert state["apps"] == [COUNTER, NOTES]

    # A new appd in the same runtime dir brings them back, with new ids.
    second = start(compositor=False, run_dir=first.run_dir)
    sessions = wait_until("both apps", lambda: (ps := second.ctl_json("ps")) and
                          all(s["state"] == "running" for s in ps) and len(ps) == 2 and ps)
    assert [s["app_id"] for s in sessions] == [COUNTER, NOTES]
    assert not set(ids) & {s["id"] for s in sessions}

    # --no-restore does not.
    second.stop()
    third = start(compositor=False, run_dir=first.run_dir, appd_args=["--no-restore"])
    assert third.ctl_json("ps") == []


# ---- resource limits ----

def test_limits_none(start):
    weft = start(compositor=False)  # the tests ask for none
    assert weft.ctl_json("info")["limits"] == "none"
    assert "limits: none" in weft.logs()


def test_limits_auto_logs_its_choice(start):
    weft = start(compositor=False, appd_args=["--limits", "auto"])
    info = weft.ctl_json("info")
    assert info["limits"] in ("systemd", "cgroup", "none")
    assert f"limits: {info['limits_detail']}" in weft.logs()


def cgroup2_writable():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[fields.index("-") + 1] == "cgroup2":
                return os.access(fields[4], os.W_OK)
    return False


@pytest.mark.skipif(not cgroup2_writable(), reason="no writable cgroup v2 hierarchy here")
@pytest.mark.parametrize("sandbox", [True, False], ids=["sandboxed", "no-sandbox"])
def test_limits_cgroup(start, sandbox):
    weft = start(compositor=False, appd_args=["--limits", "cgroup",
                                              *([] if sandbox else ["--insecure-no-sandbox"])])
    info = weft.ctl_json("info")
    assert info["limits"] == "cgroup"
    session = weft.launch(COUNTER)

    def cgroup_of(pid):
        return next(line[3:] for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines()
                    if line.startswith("0::"))
    # Each child joins before it execs; the app-shell may be on its way.
    group = cgroup_of(session["runtime_pid"])
    assert group.endswith(f"/session-{session['id']}")
    wait_until("the app-shell in the session's cgroup",
               lambda: cgroup_of(session["app_shell_pid"]) == group)
    mount = next(l.split()[4] for l in open("/proc/self/mountinfo")
                 if l.split()[l.split().index("-") + 1] == "cgroup2")
    session_dir = Path(mount + group)
    assert session_dir.is_dir()
    weft.ctl("terminate", session["id"], "--wait")
    assert not session_dir.exists()
    assert weft.stop() == 0
    assert not session_dir.parent.exists()


@pytest.mark.skipif(not cgroup2_writable(), reason="no writable cgroup v2 hierarchy here")
def test_runtime_is_born_in_the_session_cgroup(start, tmp_path):
    """The sandboxed runtime starts in its session's cgroup (clone3's
    CLONE_INTO_CGROUP) instead of being moved there, which waited 6-13 ms for
    an RCU grace period: that cgroup is then the root of its cgroup
    namespace, and it sees itself at "/", nothing of appd's cgroups above."""
    weft, log = fake(start, "cgroup", tmp_path, appd_args=["--limits", "cgroup"])
    session = weft.launch(COUNTER)
    seen = wait_until("the runtime's view of its cgroup",
                      lambda: next((e["cgroup"] for e in fake_log(log) if "cgroup" in e), None))
    outside = next(line[3:] for line in
                   Path(f"/proc/{session['runtime_pid']}/cgroup").read_text().splitlines()
                   if line.startswith("0::"))
    assert outside.endswith(f"/session-{session['id']}")
    assert seen == "/"


def limits_enforceable():
    """Whether a cgroup of appd's, in the cgroup v2 hierarchy it runs in, can
    have the memory and cpu controllers: read from the hierarchy itself (the
    tests' appd has no systemd user manager to ask)."""
    mount = next((l.split()[4] for l in open("/proc/self/mountinfo")
                  if l.split()[l.split().index("-") + 1] == "cgroup2"), None)
    own = next((l[3:].strip() for l in open("/proc/self/cgroup") if l.startswith("0::")), None)
    if mount is None or own is None:
        return False
    # In the root cgroup appd makes its own beside it; elsewhere it needs
    # its cgroup delegated, writable.
    where = Path(mount + own.rstrip("/")) if own != "/" else Path(mount)
    controllers = (where / "cgroup.controllers").read_text().split()
    writable = os.access(where, os.W_OK) and (
        own == "/" or os.access(where / "cgroup.subtree_control", os.W_OK))
    return writable and "memory" in controllers and "cpu" in controllers


WARNING = ("weft-appd: warning: limits: the memory (512M) and CPU (200%) limits of "
           "sessions are not enforced: ")


@pytest.mark.parametrize("limits", ["auto", "none"])
def test_each_session_says_whether_its_limits_are_enforced(start, tmp_path, limits):
    # No user bus: auto tries systemd, then a cgroup of its own.
    weft, _ = fake(start, "requests", tmp_path, appd_args=["--limits", limits],
                   env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"})
    enforced = limits == "auto" and limits_enforceable()
    sid = weft.launch(COUNTER)["id"]
    said = weft.state(sid)["limits"]
    assert [s["limits"] for s in weft.ctl_json("ps")] == [said]
    warnings = [l for l in weft.logs().splitlines() if l.startswith(WARNING)]
    if enforced:
        assert said == "enforced" and warnings == []
    else:
        assert said.startswith("not enforced: "), said
        why = said[len("not enforced: "):]
        if limits == "none":
            assert why == "--limits none"
        # Said at start, once, with what to do about it.
        assert len(warnings) == 1 and warnings[0].startswith(WARNING + why + "; "), warnings
        assert "systemd user session" in warnings[0]

    # People see it too.
    out = subprocess.run([str(WEFTCTL), "--socket", str(weft.socket), "state", sid],
                         env=weft.env, capture_output=True, text=True, check=True).stdout
    sandbox = "".join(p["summary"] + "\n" for p in weft.state(sid)["sandbox"].values())
    assert out == f"running\nlimits: {said}\n{sandbox}"
    out = subprocess.run([str(WEFTCTL), "--socket", str(weft.socket), "ps"],
                         env=weft.env, capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["SESSION", "APP", "STATE", "LIMITS", "PIDS"]
    assert lines[1].split()[:4] == [sid, COUNTER, "running", "yes" if enforced else "no"]
    if enforced:
        assert len(lines) == 2
    else:
        assert lines[2:] == ["", f"LIMITS no: memory and CPU limits {said}"]


def test_limits_by_name_must_work(tmp_path):
    # No user bus here: systemd, asked for by name, is an error, not "none".
    with pytest.raises(AssertionError, match="limits: systemd: no user bus"):
        Weft(tmp_path / "w", tmp_path / "cache", compositor=False,
             appd_args=["--limits", "systemd"],
             env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"})


def test_tells_systemd_when_ready_and_stopping(start, tmp_path):
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(10)
    weft = start(compositor=False, env={"NOTIFY_SOCKET": str(path)})
    assert sock.recv(4096) == b"READY=1"
    # Its children do not get to speak for it.
    session = weft.launch(COUNTER)
    environ = Path(f"/proc/{session['runtime_pid']}/environ").read_bytes().split(b"\0")
    assert not [v for v in environ if v.startswith(b"NOTIFY_SOCKET=")]
    weft.stop()
    assert sock.recv(4096) == b"STOPPING=1"


def test_history_keeps_the_last_ended_sessions(start, tmp_path):
    weft, _ = fake(start, "exit:3", tmp_path,
                   env={"FAKE_RUNTIME_MODES": '{"org.weft.test.stays": "requests"}'})
    make_package(weft.user_store, "org.weft.test.stays")
    stays = weft.launch("org.weft.test.stays")
    sock = weft.connect()
    for i in range(70):
        reply = weft.request({"type": "launch", "app_id": COUNTER}, sock=sock)
        weft.wait_state(reply["session"]["id"], "crashed")
    sock.close()
    # The oldest session, ended last, is not the one that goes.
    ended = weft.ctl_json("terminate", stays["id"], "--wait")
    assert ended["id"] == stays["id"] and ended["state"] == "stopped"
    remembered = weft.ctl_json("ps", "--all")
    assert len(remembered) == 64
    assert remembered[0]["id"] == stays["id"]
    assert remembered[-1]["id"] == "71"
