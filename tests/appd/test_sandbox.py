"""Every session process runs in its OS sandbox (issue 11, sandbox/README.md),
seen from outside: the real compositor, appd, runtime and the stand-in
app-shell, checked through /proc (capabilities, no_new_privs, seccomp,
namespaces, what their root holds) against what appd reports for them in
state and sessions."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from appdutil import APPD, APPS, COUNTER, FAKE_RUNTIME, PROBE, STANDIN, STANDIN_CONNECTED, \
    STANDIN_WAITING, WEFTCTL, Relay, fake_log, make_package, make_probe_package, settled_spare, \
    stop_process, wait_until

NAMESPACES = {"user": "user", "mnt": "mnt", "pid": "pid", "net": "net", "ipc": "ipc",
              "uts": "uts", "cgroup": "cgroup"}

needs_probe = pytest.mark.skipif(not PROBE.exists(), reason="the probe guest is not built")


def status(pid):
    """/proc/PID/status as a dict of strings."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def ns(pid, name):
    return os.readlink(f"/proc/{pid}/ns/{name}")


def mount_of(pid, path):
    """The mount options of the mount at path in pid's mount namespace
    (the last one there wins), or None when nothing is mounted there."""
    found = None
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == str(path):
            found = fields[5].split(",")
    return found


def fs_of(pid, path):
    """(filesystem type, mount options) of the mount at path in pid's mount
    namespace (the last one there wins), or None."""
    found = None
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        fields = line.split()
        if fields[4] == str(path):
            found = (fields[fields.index("-") + 1], fields[5].split(","))
    return found


def running(weft, app_id=COUNTER):
    sid = weft.launch(app_id)["id"]
    return weft.wait_state(sid, "running")


def check_process(weft, pid, report, kind):
    """What /proc says of pid agrees with appd's report, and is a sandbox."""
    st = status(pid)
    assert report["enforced"] is True
    assert report["kind"] == kind
    # Every capability gone, in every set.
    for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(st[cap], 16) == 0, (cap, st[cap])
    assert report["caps_dropped"] is True
    assert st["NoNewPrivs"] == "1" and report["no_new_privs"] is True
    # A namespace in the report is one of its own; one not in it is appd's.
    for name in NAMESPACES:
        own = ns(pid, name) != ns(weft.appd_pid, name)
        assert own == (name in report["namespaces"]), (name, report["namespaces"])
    assert report["new_root"] is True
    assert report["landlock"]["abi"] > 0
    # Its root holds none of the user's world: not the compositor's or
    # appd's sockets, not the trust store, not the log, not app data. (The
    # test's $HOME holds the user store, whose packages are shown.)
    root = Path(f"/proc/{pid}/root")
    for path in (weft.run_dir, weft.socket, weft.config_home, weft.log_path,
                 weft.data_home / "weft" / "data", Path("/etc/passwd"), Path("/root"),
                 Path(os.environ.get("HOME", "/root"))):
        assert not os.path.lexists(f"{root}{path}"), path
    home = f"{root}{weft.tmp}"
    assert not os.path.lexists(home) or os.listdir(home) == ["data"]
    assert os.path.exists(f"{root}/usr/lib")
    return st


def test_session_processes_run_in_their_sandbox(weft):
    session = running(weft)
    sandbox = session["sandbox"]
    assert set(sandbox) == {"runtime", "app-shell"}
    st = check_process(weft, session["runtime_pid"], sandbox["runtime"], "runtime")
    # weft-runtime installs its allowlist first thing in main.
    assert st["Seccomp"] == "2" and sandbox["runtime"]["seccomp"] == "weft-runtime allowlist"
    assert sandbox["runtime"]["network"].startswith("none")
    check_process(weft, session["app_shell_pid"], sandbox["app-shell"], "app-shell")
    # The app-shell installs its allowlist first thing in main (the stand-in
    # the same one; tests/e2e checks the real one), as its report says, and
    # the stand-in made no call outside it (its SIGSYS handler would say so).
    assert status(session["app_shell_pid"])["Seccomp"] == "2"
    assert sandbox["app-shell"]["seccomp"] == "weft-app-shell allowlist"
    assert "allowlist: it fails with ENOSYS" not in weft.logs()
    # The package is there, read-only; app data is not (the counter has none).
    package = Path(os.path.realpath(weft.env["WEFT_APP_STORE"])) / COUNTER
    assert os.path.exists(f"/proc/{session['runtime_pid']}/root{package}/wapp.toml")
    assert "ro" in mount_of(session["runtime_pid"], package)

    # The same in sessions, and once per process for people.
    listed = next(s for s in weft.ctl_json("ps") if s["id"] == session["id"])
    assert listed["sandbox"] == sandbox
    text = subprocess.run([str(WEFTCTL), "--socket", str(weft.socket), "state", session["id"]],
                          env=weft.env, capture_output=True, text=True, check=True).stdout
    lines = [l for l in text.splitlines() if l.startswith("sandbox ")]
    assert lines == [sandbox["runtime"]["summary"], sandbox["app-shell"]["summary"]]
    assert lines[0].startswith("sandbox runtime: user,mnt,pid,net,ipc,uts,cgroup namespaces; ")
    assert lines[1].startswith("sandbox app-shell: ")
    # appd said it at launch, too.
    assert f"runtime is pid {session['runtime_pid']}; {sandbox['runtime']['summary']}" \
        in weft.logs()
    info = subprocess.run([str(WEFTCTL), "--socket", str(weft.socket), "info"],
                          env=weft.env, capture_output=True, text=True, check=True).stdout
    assert "sandbox: enforced" in info.splitlines()


def test_the_spare_app_shell_runs_in_its_sandbox_and_is_adopted(start):
    # The stand-in prewarms only when asked to.
    weft = start(env={"WEFT_STANDIN_PREWARM": "1"})
    spare = settled_spare(weft)
    assert spare is not None
    # It belongs to no app yet: every app store read-only, no app data.
    root = f"/proc/{spare}/root"
    store = Path(os.path.realpath(APPS))
    assert os.path.exists(f"{root}{store / COUNTER}/wapp.toml")
    assert "ro" in mount_of(spare, store)
    assert os.path.isdir(f"{root}{weft.user_store.resolve()}")
    session = running(weft)
    assert session["app_shell_pid"] == spare
    report = session["sandbox"]["app-shell"]
    check_process(weft, spare, report, "spare")
    assert status(spare)["Seccomp"] == "2"
    assert report["seccomp"] == "weft-app-shell allowlist"
    # Inside its pid namespace it could not join the session's group: it
    # keeps its own, and appd signals it by its pidfd.
    assert os.getpgid(spare) == spare
    assert f"session {session['id']}: adopted the spare app-shell {spare}" in weft.logs()
    wait_until("a window, connected", lambda: weft.centre_colour() == STANDIN_CONNECTED)
    ended = json.loads(weft.ctl("terminate", session["id"], "--wait").stdout)
    assert ended["state"] == "stopped" and "exit" not in ended, ended
    wait_until("the adopted spare to be gone", lambda: not os.path.exists(f"/proc/{spare}"))


def spare_with_fake_runtime(start, tmp_path, mode, appd_args=()):
    log = tmp_path / "fake-runtime.log"
    weft = start(runtime=FAKE_RUNTIME, appd_args=appd_args,
                 env={"WEFT_STANDIN_PREWARM": "1", "FAKE_RUNTIME": mode,
                      "FAKE_RUNTIME_LOG": str(log)})
    spare = settled_spare(weft)
    assert spare is not None
    return weft, spare, log


def test_a_sandboxed_spare_shows_the_app_while_the_runtime_starts(start, tmp_path):
    weft, spare, log = spare_with_fake_runtime(start, tmp_path, "ready-on-go")
    sid = weft.launch(wait=False)["id"]
    # Adopted, and its window on the screen, before the runtime said READY.
    wait_until("the spare adopted",
               lambda: f"session {sid}: adopted the spare app-shell {spare}" in weft.logs())
    wait_until("its window", lambda: weft.centre_colour() in (STANDIN_WAITING, STANDIN_CONNECTED))
    # The runtime starts meanwhile, and waits for the test to let it say READY.
    wait_until("the runtime waiting",
               lambda: log.exists() and {"waiting": True} in fake_log(log))
    assert {"ready": True} not in fake_log(log)
    # A first frame before READY does not make the session running.
    assert weft.state(sid)["state"] == "starting"
    with open(log, "a") as f:
        f.write(json.dumps({"go": True}) + "\n")
    session = weft.wait_state(sid, "running")
    assert session["app_shell_pid"] == spare
    ended = json.loads(weft.ctl("terminate", sid, "--wait").stdout)
    assert ended["state"] == "stopped", ended


def cgroup2_mount():
    for line in open("/proc/self/mountinfo"):
        fields = line.split()
        if fields[fields.index("-") + 1] == "cgroup2":
            return fields[4] if os.access(fields[4], os.W_OK) else None
    return None


def cgroup_of(pid):
    return next(line[3:] for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines()
                if line.startswith("0::"))


@pytest.mark.skipif(cgroup2_mount() is None, reason="no writable cgroup v2 hierarchy here")
def test_the_adopted_spare_is_not_moved_its_cgroup_becomes_the_sessions(start, tmp_path):
    """With cgroup limits the spare is born in a cgroup of its own (out of
    appd's), which the launch that adopts it takes as the session's: the
    runtime is born there too, and nothing is moved on the launch's path (a
    move waits for an RCU grace period, 6-13 ms)."""
    weft, spare, log = spare_with_fake_runtime(start, tmp_path, "cgroup",
                                               appd_args=("--limits", "cgroup"))
    born = cgroup_of(spare)
    assert born != cgroup_of(weft.appd_pid)
    assert born.rsplit("/", 1)[1].startswith("session-spare"), born
    sid = weft.launch(wait=False)["id"]
    wait_until("the spare adopted",
               lambda: f"session {sid}: adopted the spare app-shell {spare}" in weft.logs())
    session = weft.wait_state(sid, "running")
    assert session["app_shell_pid"] == spare
    assert cgroup_of(spare) == born
    assert cgroup_of(session["runtime_pid"]) == born
    seen = wait_until("the runtime's view of its cgroup",
                      lambda: next((e["cgroup"] for e in fake_log(log) if "cgroup" in e), None))
    assert seen == "/"
    where = Path(cgroup2_mount() + born)
    assert where.is_dir()
    ended = json.loads(weft.ctl("terminate", sid, "--wait").stdout)
    assert ended["state"] == "stopped", ended
    wait_until("the session's cgroup removed", lambda: not where.exists())


def test_a_runtime_that_never_says_ready_ends_the_adopted_spare(start, tmp_path):
    weft, spare, _ = spare_with_fake_runtime(start, tmp_path, "silent",
                                             appd_args=("--ready-timeout", "3000"))
    sid = weft.launch(wait=False)["id"]
    wait_until("the spare adopted",
               lambda: f"session {sid}: adopted the spare app-shell {spare}" in weft.logs())
    ended = weft.wait_state(sid, "crashed", timeout=30)
    assert ended["reason"] == "no READY from the runtime within 3000 ms", ended
    wait_until("the adopted spare to be gone", lambda: not os.path.exists(f"/proc/{spare}"))


def test_a_failed_check_adopts_no_spare(start, tmp_path):
    weft, spare, _ = spare_with_fake_runtime(start, tmp_path, "ready-on-go")
    make_package(weft.user_store, "org.weft.test.unsigned", signed=False)
    reply = weft.ctl("launch", "org.weft.test.unsigned", check=False)
    assert reply.returncode != 0
    # The Wayland connection asked for during the check went with it; the
    # spare is still there for the next launch.
    assert weft.ctl_json("info")["spare"]["pid"] == spare
    assert "adopted the spare" not in weft.logs()


def test_teardown_reaches_every_sandboxed_process(weft):
    session = running(weft)
    pids = [session["runtime_pid"], session["app_shell_pid"]]
    ended = json.loads(weft.ctl("terminate", session["id"], "--wait").stdout)
    # The runtime (pid 1 of its namespace) reads SIGTERM and ends cleanly.
    assert ended["state"] == "stopped", ended
    assert "exit" not in ended
    for pid in pids:
        assert not os.path.exists(f"/proc/{pid}")


def test_no_network_even_with_a_fetch_grant(start):
    weft = start(compositor=False)
    make_package(weft.user_store, "org.weft.test.fetcher",
                 capabilities=["net:fetch:example.org:8443"])
    fetcher = weft.launch("org.weft.test.fetcher")
    plain = weft.launch(COUNTER)
    # appd connects for it (tests/appd/test_network.py): a network
    # namespace of its own, no TCP port, like any other runtime.
    for session in (fetcher, plain):
        report = session["sandbox"]["runtime"]
        assert ns(session["runtime_pid"], "net") != ns(weft.appd_pid, "net")
        assert "net" in report["namespaces"]
        assert "connect_tcp" in report["landlock"]["net"]
        check_process(weft, session["runtime_pid"], report, "runtime")
    # It checks https servers itself, against the CA trust store; it
    # resolves nothing, so the resolver's files are not there.
    root = Path(f"/proc/{fetcher['runtime_pid']}/root")
    if os.path.isdir("/etc/ssl/certs"):
        assert (root / "etc/ssl/certs").is_dir()
    for path in ("etc/resolv.conf", "etc/hosts", "etc/nsswitch.conf", "etc/ssl/private"):
        assert not os.path.lexists(root / path), path
    assert not os.path.lexists(Path(f"/proc/{plain['runtime_pid']}/root/etc/ssl/certs"))


def test_each_app_has_a_component_cache_of_its_own(start, cache_dir):
    weft = start(compositor=False)
    make_package(weft.user_store, "org.weft.test.other")
    first = weft.launch(COUNTER)
    second = weft.launch("org.weft.test.other")
    mine = Path(cache_dir) / "weft" / "apps" / COUNTER
    theirs = Path(cache_dir) / "weft" / "apps" / "org.weft.test.other"
    wait_until("both caches", lambda: list(mine.glob("weft/components/*.cwasm")) and
               list(theirs.glob("weft/components/*.cwasm")), timeout=60)
    root = f"/proc/{first['runtime_pid']}/root"
    assert os.path.isdir(f"{root}{mine.resolve()}")
    assert "rw" in mount_of(first["runtime_pid"], mine.resolve())
    assert not os.path.lexists(f"{root}{theirs.resolve()}")
    # Nor the shared cache a runtime outside appd uses.
    assert not os.path.lexists(f"{root}{Path(cache_dir).resolve() / 'weft' / 'components'}")
    weft.ctl("terminate", second["id"], "--wait")


@needs_probe
@pytest.mark.parametrize("grant,writable", [("fs:rw:app-data", True),
                                            ("fs:read:app-data", False)])
def test_app_data_is_writable_only_with_fs_rw(start, tmp_path, grant, writable):
    # In a directory of its own: appd shows the relay's directory to the
    # app-shell, and nothing else of the test's.
    (tmp_path / "relay").mkdir()
    relay = Relay(tmp_path / "relay")
    try:
        weft = start(env={"WEFT_STANDIN_RELAY": relay.path})
        app_id = "org.weft.test.data"
        make_probe_package(weft.user_store, app_id, [grant])
        session = weft.launch(app_id)
        data = (weft.data_home / "weft" / "data" / app_id).resolve()
        answer = relay.ask("write /data/note hello")
        assert (answer == "ok") == writable, answer
        assert (data / "note").exists() == writable
        # The sandbox's mount says the same, whatever WASI would allow.
        options = mount_of(session["runtime_pid"], data)
        assert options is not None and ("rw" if writable else "ro") in options, \
            Path(f"/proc/{session['runtime_pid']}/mountinfo").read_text()
        if not writable:
            assert relay.ask("read /data/note").startswith("err")
    finally:
        relay.close()


def controlling_terminal(pid):
    """The tty_nr of /proc/PID/stat: 0 when it has no controlling terminal."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[4])


def test_no_session_process_has_appds_terminal(start):
    # appd started from a shell: with the terminal as their controlling
    # terminal, its children could type into it (TIOCSTI) through any fd of
    # it. Without the sandbox they have it (the control).
    weft = start(terminal=True, env={"WEFT_STANDIN_PREWARM": "1"})
    assert controlling_terminal(weft.appd_pid) != 0
    spare = settled_spare(weft)
    assert spare is not None and controlling_terminal(spare) == 0
    session = running(weft)
    for pid in (session["runtime_pid"], session["app_shell_pid"], settled_spare(weft)):
        assert controlling_terminal(pid) == 0, pid
    insecure = start(compositor=False, appd_args=["--insecure-no-sandbox"], terminal=True)
    session = insecure.launch(COUNTER)
    assert controlling_terminal(session["runtime_pid"]) == \
        controlling_terminal(insecure.appd_pid) != 0


def test_insecure_no_sandbox_is_said_plainly(start):
    weft = start(compositor=False, appd_args=["--insecure-no-sandbox"])
    assert weft.ctl_json("info")["sandbox"] == "NONE: --insecure-no-sandbox"
    session = weft.launch(COUNTER)
    report = session["sandbox"]["runtime"]
    assert report["enforced"] is False
    assert report["summary"] == "sandbox runtime: NONE: appd runs with --insecure-no-sandbox"
    assert ns(session["runtime_pid"], "mnt") == ns(weft.appd_pid, "mnt")
    assert "--insecure-no-sandbox: apps run WITHOUT their OS sandbox" in weft.logs()


def without_user_namespaces(cmd):
    """cmd in a user namespace of its own whose processes may create no
    more: a kernel that refuses them, as far as cmd can tell."""
    return ["unshare", "--user", "--map-root-user", "sh", "-c",
            'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "sh", *cmd]


@pytest.fixture
def no_userns_env():
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1)")
    probe = subprocess.run(without_user_namespaces(["true"]), capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot make a user namespace without user namespaces: {probe.stderr}")
    run_dir = tempfile.mkdtemp(prefix="weft-nouserns-")
    yield dict(os.environ, XDG_RUNTIME_DIR=run_dir, WEFT_LOG="info")
    shutil.rmtree(run_dir, ignore_errors=True)


def test_appd_refuses_to_start_where_apps_cannot_be_sandboxed(no_userns_env):
    r = subprocess.run(without_user_namespaces([str(APPD), "--no-compositor", "--limits",
                                                "none"]),
                       env=no_userns_env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r
    assert "weft-appd: error: cannot sandbox apps: the kernel refuses new user namespaces" \
        in r.stderr
    assert "refusing to start (--insecure-no-sandbox runs them unconfined)" in r.stderr
    assert not (Path(no_userns_env["XDG_RUNTIME_DIR"]) / "weft" / "appd.sock").exists()


def test_insecure_no_sandbox_starts_there_and_says_so(no_userns_env):
    sock = Path(no_userns_env["XDG_RUNTIME_DIR"]) / "weft" / "appd.sock"
    proc = subprocess.Popen(without_user_namespaces([str(APPD), "--no-compositor", "--limits",
                                                     "none", "--insecure-no-sandbox"]),
                            env=no_userns_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        def info():
            r = subprocess.run([str(WEFTCTL), "--json", "--socket", str(sock), "info"],
                               env=no_userns_env, capture_output=True, text=True)
            return r.returncode == 0 and json.loads(r.stdout)
        assert wait_until("appd to answer", info, timeout=15)["sandbox"] == \
            "NONE: --insecure-no-sandbox"
    finally:
        status = stop_process(proc, signal.SIGTERM, 20)
    out = proc.stdout.read()
    assert status == 0, out
    assert "--insecure-no-sandbox: apps run WITHOUT their OS sandbox" in out


def open_files_limit(pid):
    """The soft and hard 'Max open files' of pid, as ints (or 'unlimited')."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return soft, hard
    raise AssertionError(f"no Max open files in /proc/{pid}/limits")


def test_appd_has_room_for_its_fds_and_children_their_own_limit(start):
    # appd holds fds for every session and client, and its loop a dup of
    # each it watches: it raises its soft limit to the hard one. A
    # sandboxed runtime gets its policy's limit; an unsandboxed child the
    # limit appd started with. appd starts here with a soft limit of 512.
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 512:
        pytest.skip(f"the hard open-files limit is {hard}: nothing to raise")
    resource.setrlimit(resource.RLIMIT_NOFILE, (512, hard))
    try:
        weft = start(compositor=False)
        insecure = start(compositor=False, appd_args=["--insecure-no-sandbox"])
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    for w in (weft, insecure):
        assert open_files_limit(w.appd_pid)[0] == open_files_limit(w.appd_pid)[1] != "512"
    session = weft.launch(COUNTER)
    report = session["sandbox"]["runtime"]
    assert open_files_limit(session["runtime_pid"])[0] == str(report["limits"]["nofile"])
    session = insecure.launch(COUNTER)
    assert open_files_limit(session["runtime_pid"])[0] == "512"


WARM_UP_STARTED = "shader cache warm-up: app-shell "


def shader_cache(cache):
    """The trusted shader cache below XDG_CACHE_HOME cache, and its stamp."""
    root = Path(cache).resolve() / "weft" / "shader-cache"
    return root / "mesa", root / "stamp"


def test_a_spare_reads_the_trusted_shader_cache_and_never_writes_it(start, tmp_path):
    cache = tmp_path / "cache"
    weft = start(env={"WEFT_STANDIN_PREWARM": "1", "XDG_CACHE_HOME": str(cache)})
    spare = settled_spare(weft)
    assert spare is not None
    trusted, stamp = shader_cache(cache)
    # The warm-up ran once, before the spare, and filled the cache; its
    # stamp names the app-shell it was made with.
    logs = weft.logs()
    assert logs.count(WARM_UP_STARTED) == 1, logs
    assert "shader cache warm-up: done in " in logs
    assert (trusted / "mesa_shader_cache" / "warm-up").read_text() == "warm-up"
    assert str(STANDIN.resolve()) in stamp.read_text()
    # The spare sees it under a layer of its own: what it planted there (as
    # injected code would, to poison other apps' renderers) is in that
    # layer, not in the cache the next spares read.
    planted = trusted / "mesa_shader_cache" / "planted"
    wait_until("the spare's attempt", lambda: f"planted {planted}: " in weft.logs())
    assert f"planted {planted}: written" in weft.logs()
    assert not planted.exists()
    assert os.path.exists(f"/proc/{spare}/root{planted}")
    assert os.path.exists(f"/proc/{spare}/root{trusted}/mesa_shader_cache/warm-up")
    assert fs_of(spare, trusted)[0] == "overlay"
    # No app's cache is there.
    assert not os.path.lexists(f"/proc/{spare}/root{cache.resolve()}/weft/apps")
    # Adopted, it says which cache it has.
    session = running(weft)
    assert session["app_shell_pid"] == spare
    report = session["sandbox"]["app-shell"]
    assert report["shader_cache"] == "trusted read-only"
    assert "; mesa shader cache: trusted read-only" in report["summary"]


def test_the_warm_up_runs_again_only_for_another_app_shell(start, tmp_path):
    cache = tmp_path / "cache"
    shell = tmp_path / "bin" / "weft-app-shell"
    shell.parent.mkdir()
    shutil.copy2(STANDIN, shell)
    env = {"WEFT_STANDIN_PREWARM": "1", "XDG_CACHE_HOME": str(cache),
           "WEFT_APP_SHELL": str(shell)}
    trusted, stamp = shader_cache(cache)

    first = start(env=env)
    assert settled_spare(first) is not None
    assert first.logs().count(WARM_UP_STARTED) == 1
    made = stamp.read_text()
    first.stop()
    # Fresh: the next appd goes straight to its spare, which reads it.
    second = start(env=env)
    spare = settled_spare(second)
    assert spare is not None
    assert WARM_UP_STARTED not in second.logs()
    assert fs_of(spare, trusted)[0] == "overlay"
    assert stamp.read_text() == made
    second.stop()
    # A new app-shell (here: the same file, touched) makes it stale.
    st = shell.stat()
    os.utime(shell, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    third = start(env=env)
    assert settled_spare(third) is not None
    assert third.logs().count(WARM_UP_STARTED) == 1
    assert stamp.read_text() != made


def test_after_a_failed_warm_up_spares_have_no_shader_cache(start, tmp_path):
    cache = tmp_path / "cache"
    env = {"WEFT_STANDIN_PREWARM": "1", "XDG_CACHE_HOME": str(cache),
           "WEFT_STANDIN_WARM_UP_EXIT": "3"}
    weft = start(env=env)
    spare = settled_spare(weft)
    assert spare is not None
    assert "shader cache warm-up: the app-shell exited with status 3" in weft.logs()
    trusted, stamp = shader_cache(cache)
    assert not stamp.exists()
    assert fs_of(spare, trusted) is None
    session = running(weft)
    assert session["sandbox"]["app-shell"]["shader_cache"] == "none"


def test_an_app_shell_started_for_an_app_has_a_shader_cache_of_its_own(start, tmp_path):
    cache = tmp_path / "cache"
    weft = start(env={"XDG_CACHE_HOME": str(cache)})
    make_package(weft.user_store, "org.weft.test.other")
    first = running(weft)
    second = running(weft, "org.weft.test.other")
    apps = cache.resolve() / "weft" / "apps"
    for session, mine, theirs in ((first, COUNTER, "org.weft.test.other"),
                                  (second, "org.weft.test.other", COUNTER)):
        pid = session["app_shell_pid"]
        report = session["sandbox"]["app-shell"]
        assert report["kind"] == "app-shell"
        assert report["shader_cache"] == "app"
        assert "; mesa shader cache: app" in report["summary"]
        fstype, options = fs_of(pid, apps / mine / "mesa")
        assert "rw" in options
        assert os.path.isdir(apps / mine / "mesa")
        # Neither another app's nor the trusted one the spares read.
        assert not os.path.lexists(f"/proc/{pid}/root{apps / theirs}")
        assert not os.path.lexists(f"/proc/{pid}/root{shader_cache(cache)[0]}")
