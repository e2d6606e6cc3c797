"""WEFT as a login session: weft-session (without a systemd user manager
here: the compositor in its place), the display manager's entry, the systemd
user units (checked by systemd-analyze; they run for real in the VM lane),
sd_notify readiness of the compositor and appd, and the two meeting on the
compositor's appd socket as the units make them."""

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from appdutil import APPD, BUILD, COMPOSITOR, COUNTER, DEMO_PUB, FAKE_RUNTIME, LSAN_SUPP, \
    STANDIN, WEFTCTL, alive, processes_with_env, stop_process, wait_until

SESSION = BUILD / "session"
UNITS = ("weft-compositor.service", "weft-appd.service", "weft-session.target",
         "weft-session-shutdown.target")


def configured_bindir():
    """The bindir meson wrote into the session files."""
    exec_line = next(line for line in (SESSION / "weft.desktop").read_text().splitlines()
                     if line.startswith("Exec="))
    return str(Path(exec_line[len("Exec="):]).parent)


def clean_env(run_dir, home):
    env = {k: v for k, v in os.environ.items()
           if k not in ("WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DISPLAY", "WEFT_APPD_SOCKET",
                        "WEFT_RUNTIME", "NOTIFY_SOCKET", "WEFT_COMPOSITOR_FD",
                        "DBUS_SESSION_BUS_ADDRESS", "XDG_CURRENT_DESKTOP",
                        "XDG_SESSION_TYPE", "XDG_SESSION_DESKTOP")}
    env.update({
        "XDG_RUNTIME_DIR": str(run_dir),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "WEFT_APP_SHELL": str(STANDIN),
        "WLR_BACKENDS": "headless",
        "WLR_RENDERER": "pixman",
        "WLR_LIBINPUT_NO_DEVICES": "1",
    })
    if "LSAN_OPTIONS" not in env:
        env["LSAN_OPTIONS"] = f"suppressions={LSAN_SUPP}:print_suppressions=0"
    return env


class NotifySocket:
    """A datagram socket where a service manager hears sd_notify."""

    def __init__(self, directory):
        self.path = Path(directory) / "notify"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))

    def wait_for(self, message, proc, timeout=30):
        """Returns once message (e.g. "READY=1") arrived; fails when proc
        exits first or the deadline passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"exited with {proc.returncode} before {message}")
            # Short slices only to notice an early exit; no timing is assumed.
            self.sock.settimeout(0.5)
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            if message in data.split("\n"):
                return
        raise AssertionError(f"no {message} within {timeout} s")

    def close(self):
        self.sock.close()


@pytest.fixture
def world(tmp_path):
    """A private runtime dir (short: socket paths are) and home."""
    run_dir = Path(tempfile.mkdtemp(prefix="weft-session-"))
    os.chmod(run_dir, 0o700)
    home = tmp_path / "home"
    home.mkdir()
    procs = []
    yield run_dir, home, procs
    for proc in procs:
        stop_process(proc, signal.SIGKILL, 10)
    left = processes_with_env(f"XDG_RUNTIME_DIR={run_dir}".encode())
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(run_dir, ignore_errors=True)
    assert not left, f"processes left behind: {left}"


def staged_bin(tmp_path):
    """weft-session beside the programs it starts, as installed: it puts
    its own directory first on PATH."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shutil.copy(SESSION / "weft-session", bindir / "weft-session")
    os.chmod(bindir / "weft-session", 0o755)
    (bindir / "weft-compositor").symlink_to(COMPOSITOR)
    (bindir / "weft-appd").symlink_to(APPD)
    return bindir


def run_session(args, env, tmp_path, timeout=10):
    return subprocess.run([str(staged_bin(tmp_path) / "weft-session"), *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


# ---- weft-session ----

def test_help(world, tmp_path):
    run_dir, home, _ = world
    r = run_session(["--help"], clean_env(run_dir, home), tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Usage: weft-session")
    assert "--no-systemd" in r.stdout and "weft-session.target" in r.stdout


def test_bad_argument(world, tmp_path):
    run_dir, home, _ = world
    r = run_session(["bogus"], clean_env(run_dir, home), tmp_path)
    assert r.returncode == 2
    assert "weft-session: unexpected argument 'bogus'" in r.stderr


def test_without_runtime_dir_says_why(world, tmp_path):
    run_dir, home, _ = world
    env = clean_env(run_dir, home)
    del env["XDG_RUNTIME_DIR"]
    r = run_session([], env, tmp_path)
    assert r.returncode == 1
    assert r.stderr.startswith("weft-session: XDG_RUNTIME_DIR is not set")


def test_systemd_asked_without_a_user_manager(world, tmp_path):
    run_dir, home, _ = world
    r = run_session(["--systemd"], clean_env(run_dir, home), tmp_path)
    assert r.returncode == 1
    assert r.stderr.startswith("weft-session: --systemd: no systemd user manager answers")


def appd_info(run_dir):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as sock:
            sock.settimeout(5)
            sock.connect(str(run_dir / "weft" / "appd.sock"))
            sock.send(json.dumps({"type": "info"}).encode())
            return json.loads(sock.recv(1 << 20))
    except (OSError, ValueError):
        return None


def test_session_without_systemd_runs_the_compositor_and_stops_on_sigterm(world, tmp_path):
    """No user manager here: weft-session becomes the compositor (so the
    display manager's SIGTERM reaches it), which starts appd; both are
    gone, cleanly, after SIGTERM."""
    run_dir, home, procs = world
    notify = NotifySocket(run_dir)
    env = clean_env(run_dir, home)
    env["NOTIFY_SOCKET"] = str(notify.path)
    log = open(tmp_path / "session.log", "w+")
    proc = subprocess.Popen([str(staged_bin(tmp_path) / "weft-session")], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    procs.append(proc)
    try:
        # The compositor, in weft-session's place, tells "the service
        # manager" it is ready.
        notify.wait_for("READY=1", proc)
        assert Path(f"/proc/{proc.pid}/exe").resolve() == COMPOSITOR.resolve()
        info = wait_until("appd to answer", lambda: appd_info(run_dir), timeout=30)
        appd_pid = info["pid"]
        assert info["compositor"] is True
        # The session's defaults, as a display manager would leave them unset.
        environ = Path(f"/proc/{proc.pid}/environ").read_bytes().split(b"\0")
        assert b"XDG_CURRENT_DESKTOP=WEFT" in environ
        assert b"XDG_SESSION_TYPE=wayland" in environ
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        wait_until("appd to exit", lambda: not alive(appd_pid), timeout=15)
    finally:
        notify.close()
        log.seek(0)
        output = log.read()
        log.close()
    # No shell installed: the compositor ran without one, not restarting a
    # missing program.
    assert "shell: started" not in output, output
    assert "signal 15: quitting" in output, output
    assert "every session has ended; exiting" in output, output


def test_session_without_systemd_lets_appd_end_its_sessions(world, tmp_path):
    """Logging out with an app open: the compositor gives appd the time it
    needs to end the app's session (its runtime ignores SIGTERM, so that
    takes the whole grace period) and to exit by itself, instead of killing
    it half-way (which left appd's socket behind and the session unended)."""
    run_dir, home, procs = world
    notify = NotifySocket(run_dir)
    env = clean_env(run_dir, home)
    env.update(NOTIFY_SOCKET=str(notify.path), WEFT_APP_STORE=str(BUILD / "apps"),
               WEFT_RUNTIME=str(FAKE_RUNTIME), FAKE_RUNTIME="say", FAKE_RUNTIME_SAY="up\n",
               FAKE_RUNTIME_IGNORE_TERM="1")
    appd = ["weft-appd", "--allow-untrusted", "--limits", "none", "--no-prewarm",
            "--grace", "1500", "--sandbox-share-ro", str(LSAN_SUPP)]
    for name in ("FAKE_RUNTIME", "FAKE_RUNTIME_SAY", "FAKE_RUNTIME_IGNORE_TERM"):
        appd += ["--sandbox-pass-env", name]
    log = open(tmp_path / "session.log", "w+")
    proc = subprocess.Popen([str(staged_bin(tmp_path) / "weft-session"), "--no-systemd",
                             "--appd", shlex.join(appd)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    procs.append(proc)
    try:
        notify.wait_for("READY=1", proc)
        info = wait_until("appd to answer", lambda: appd_info(run_dir), timeout=30)
        r = subprocess.run([str(WEFTCTL), "--json", "--socket",
                            str(run_dir / "weft" / "appd.sock"), "launch", COUNTER, "--wait"],
                           env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["state"] == "running"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        wait_until("appd to exit", lambda: not alive(info["pid"]), timeout=15)
    finally:
        notify.close()
        log.seek(0)
        output = log.read()
        log.close()
    assert "SIGKILL" in output, output  # the runtime took its whole grace
    assert "every session has ended; exiting" in output, output
    assert not (run_dir / "weft" / "appd.sock").exists(), output


# ---- the display manager's entry and the units ----

def test_desktop_entry_is_valid():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is missing (Debian: desktop-file-utils)")
    entry = SESSION / "weft.desktop"
    r = subprocess.run([tool, str(entry)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr
    text = entry.read_text()
    assert f"Exec={configured_bindir()}/weft-session\n" in text
    assert "Type=Application\n" in text


def unit(name):
    path = SESSION / name if (SESSION / name).exists() else \
        Path(__file__).resolve().parents[2] / "session" / name
    return path.read_text()


def test_units_verify(tmp_path):
    """systemd-analyze verify, as a user manager would load them, with the
    build's programs in place of the installed ones; any warning fails."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is missing (Debian: systemd)")
    bindir = configured_bindir()
    stage = tmp_path / "units"
    stage.mkdir()
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "weft-compositor").symlink_to(COMPOSITOR)
    (tmp_path / "bin" / "weft-appd").symlink_to(APPD)
    for name in UNITS:
        text = unit(name).replace(f"{bindir}/", f"{tmp_path / 'bin'}/")
        (stage / name).write_text(text)
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(run_dir))
    r = subprocess.run([tool, "--user", "--man=no", "verify", *[str(stage / n) for n in UNITS]],
                       env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr


def settings(text):
    """{(section, key): [words]} of a unit file, its lines for a key joined."""
    out, section = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out.setdefault((section, key), []).extend(value.split())
    return out


def test_units_order_and_policy():
    compositor = settings(unit("weft-compositor.service"))
    appd = settings(unit("weft-appd.service"))
    target = settings(unit("weft-session.target"))
    for name, s in (("compositor", compositor), ("appd", appd)):
        assert s[("Service", "Type")] == ["notify"], name
        assert ("Service", "User") not in s, name
        # Each would imply PrivateUsers= or NoNewPrivileges= in a user
        # manager, which appd's sandbox and setuid mount helper cannot have.
        for key in ("PrivateUsers", "NoNewPrivileges", "ProtectSystem", "PrivateTmp",
                    "SystemCallFilter", "RestrictSUIDSGID", "MemoryDenyWriteExecute"):
            assert ("Service", key) not in s, (name, key)
    # appd restarts, within limits; the compositor is the session and ends it.
    assert appd[("Service", "Restart")] == ["on-failure"]
    assert ("Unit", "StartLimitBurst") in appd
    assert compositor[("Service", "Restart")] == ["no"]
    # appd after the compositor is ready, and gone with it. Not upheld: appd
    # exits 0 when the compositor's channel closes, before systemd sees the
    # compositor stopping, and an Upholds= started it again then, to fail
    # (test_leaving_the_compositor_ends_the_session, one run in ten).
    assert "weft-compositor.service" in appd[("Unit", "After")]
    assert "weft-compositor.service" in appd[("Unit", "BindsTo")]
    assert ("Unit", "Upholds") not in compositor
    sock = "%t/weft/compositor.sock"
    assert " ".join(compositor[("Service", "ExecStart")]).endswith(
        f"--appd-socket {sock} --export-environment $WEFT_COMPOSITOR_OPTIONS")
    assert f"--compositor-socket {sock}" in " ".join(appd[("Service", "ExecStart")])
    # The session holds graphical-session.target and ends with the compositor.
    assert target[("Unit", "BindsTo")] == ["graphical-session.target"]
    assert "graphical-session.target" in target[("Unit", "Before")]
    assert target[("Unit", "Requires")] == ["weft-compositor.service"]
    assert "weft-compositor.service" in target[("Unit", "After")]
    assert "weft-appd.service" in target[("Unit", "Wants")]
    shutdown = settings(unit("weft-session-shutdown.target"))
    assert " ".join(compositor[("Service", "ExecStopPost")]).endswith(
        "start weft-session-shutdown.target")
    assert set(shutdown[("Unit", "Conflicts")]) == {"weft-session.target",
                                                    "graphical-session.target"}


# ---- readiness and the appd socket, as the units run them ----

def start(cmd, env, tmp_path, name):
    log = open(tmp_path / f"{name}.log", "w+")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc.log = log
    return proc


def output(proc):
    proc.log.flush()
    proc.log.seek(0)
    return proc.log.read()


def test_compositor_ready_once_its_sockets_listen(world, tmp_path):
    run_dir, home, procs = world
    notify = NotifySocket(run_dir)
    env = dict(clean_env(run_dir, home), NOTIFY_SOCKET=str(notify.path))
    appd_socket = run_dir / "weft" / "compositor.sock"
    proc = start([str(COMPOSITOR), "--no-shell", "--appd-socket", str(appd_socket)], env,
                 tmp_path, "compositor")
    procs.append(proc)
    notify.wait_for("READY=1", proc)
    # At READY both sockets take connections: no waiting after it.
    wayland = next(p for p in run_dir.iterdir() if re.fullmatch(r"wayland-\d+", p.name))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(str(wayland))
    assert appd_socket.is_socket()
    assert (appd_socket.stat().st_mode & 0o777) == 0o600
    assert ((run_dir / "weft").stat().st_mode & 0o777) == 0o700
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0, output(proc)
    notify.close()
    # Gone with it, so that the next compositor binds it afresh.
    assert not appd_socket.exists()


def test_appd_unit_meets_the_compositor_unit(world, tmp_path):
    """The compositor and appd started apart, as their units start them:
    appd connects to --appd-socket after the compositor's READY=1, says
    READY=1 once its control socket listens, and launches an app whose
    window the compositor reports (first_frame reaches appd: running)."""
    run_dir, home, procs = world
    notify = NotifySocket(run_dir)
    env = dict(clean_env(run_dir, home), NOTIFY_SOCKET=str(notify.path))
    appd_socket = run_dir / "weft" / "compositor.sock"
    compositor = start([str(COMPOSITOR), "--no-shell", "--appd-socket", str(appd_socket)],
                       env, tmp_path, "compositor")
    procs.append(compositor)
    notify.wait_for("READY=1", compositor)

    # The demo apps, trusted as the appd tests trust them.
    trust = home / "config" / "weft" / "trusted-keys"
    trust.mkdir(parents=True)
    shutil.copy(DEMO_PUB, trust / "demo.pub")
    env["WEFT_APP_STORE"] = str(BUILD / "apps")
    appd = start([str(APPD), "--compositor-socket", str(appd_socket), "--limits", "none",
                  "--no-prewarm", "--grace", "1000", "--sandbox-share-ro", str(LSAN_SUPP)],
                 env, tmp_path, "appd")
    procs.append(appd)
    notify.wait_for("READY=1", appd)
    # At READY its control socket answers.
    info = appd_info(run_dir)
    assert info and info["ok"] and info["compositor"] is True, output(appd)
    # appd's connect() returns once the socket's backlog holds it: the
    # compositor says so when its loop accepts it, maybe a little later.
    wait_until("the compositor to say appd connected",
               lambda: "appd socket: appd (pid %d) connected" % appd.pid in output(compositor),
               timeout=30)

    # A second appd is turned away while the first is connected.
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(10)
        s.connect(str(appd_socket))
        assert s.recv(16) == b""
    assert "an appd is connected already" in output(compositor)

    ctl = [str(WEFTCTL), "--json", "--socket", str(run_dir / "weft" / "appd.sock")]
    r = subprocess.run(ctl + ["launch", COUNTER, "--wait"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr + output(appd)
    session = json.loads(r.stdout)
    assert session["state"] == "running", session

    # The compositor goes: appd stops its sessions and exits, as its unit's
    # BindsTo= would have it stop anyway.
    compositor.send_signal(signal.SIGTERM)
    assert compositor.wait(30) == 0, output(compositor)
    assert appd.wait(30) == 0, output(appd)
    assert "the control channel closed; stopping" in output(appd)
    notify.close()


def test_appd_without_the_compositor_socket_says_why(world, tmp_path):
    run_dir, home, _ = world
    env = clean_env(run_dir, home)
    r = subprocess.run([str(APPD), "--compositor-socket", str(run_dir / "nope.sock")],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "no compositor (--compositor-socket): connect " + str(run_dir / "nope.sock") \
        in r.stderr, r.stderr


def test_appd_socket_options_exclude_each_other(world):
    run_dir, home, _ = world
    env = clean_env(run_dir, home)
    r = subprocess.run([str(COMPOSITOR), "--appd-socket", "relative.sock"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--appd-socket wants an absolute path" in r.stderr
    r = subprocess.run([str(COMPOSITOR), "--appd-socket", "/x.sock", "--appd-fd", "5"],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "exclude each other" in r.stderr
    r = subprocess.run([str(APPD), "--compositor-socket", "/x.sock", "--no-compositor"],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--compositor-socket excludes" in r.stderr


def test_export_environment_without_a_user_bus_fails_clearly(world, tmp_path):
    """--export-environment is what the unit asks for; a compositor that
    cannot tell the user manager its display says so and exits, rather than
    leaving a session whose units never find it."""
    run_dir, home, procs = world
    env = dict(clean_env(run_dir, home),
               DBUS_SESSION_BUS_ADDRESS=f"unix:path={run_dir}/no-bus")
    r = subprocess.run([str(COMPOSITOR), "--no-shell", "--no-appd", "--export-environment"],
                       env=env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1, r.stderr
    assert "cannot tell the systemd user manager WAYLAND_DISPLAY" in r.stderr, r.stderr
