"""The session under a real systemd user manager: a private `systemd --user`
(in a mount namespace of its own where /run/systemd/system exists, and in
cgroups of its own), the units installed for it, weft-session started as a
display manager would. Needs root (the namespace, the cgroups) and systemd;
skipped, saying why, without them. The VM lane runs the same on the DRM
backend under a booted systemd."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from appdutil import APPD, BUILD, COMPOSITOR, COUNTER, LSAN_SUPP, STANDIN, WEFTCTL, \
    stop_process, wait_until
from test_session import SESSION, NotifySocket, configured_bindir

SYSTEMD = Path("/lib/systemd/systemd")
SOURCE = Path(__file__).resolve().parents[2]
UNITS = ("weft-compositor.service", "weft-appd.service")
STATIC_UNITS = ("weft-session.target", "weft-session-shutdown.target")


def cgroup_roots():
    """Where to make our cgroups: the cgroup2 mount, and systemd's named v1
    hierarchy on a hybrid system."""
    roots = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            fstype = fields[fields.index("-") + 1]
            options = fields[-1]
            if fstype == "cgroup2" or (fstype == "cgroup" and "name=systemd" in options):
                roots.append(Path(fields[4]))
    return roots


def why_not():
    if os.geteuid() != 0:
        return "needs root (a mount namespace and cgroups for the user manager)"
    if not SYSTEMD.exists() or not shutil.which("systemctl") or not shutil.which("unshare"):
        return "needs systemd (/lib/systemd/systemd, systemctl) and unshare"
    roots = cgroup_roots()
    if not any(r for r in roots if os.access(r, os.W_OK)):
        return "no writable cgroup hierarchy"
    return None


class UserManager:
    """systemd --user with its own runtime dir, home, units and cgroups."""

    def __init__(self, tmp_path):
        self.run_dir = Path(tempfile.mkdtemp(prefix="weft-sd-"))
        os.chmod(self.run_dir, 0o700)
        self.home = tmp_path / "home"
        self.units = self.home / ".config" / "systemd" / "user"
        self.units.mkdir(parents=True)
        self.bindir = tmp_path / "bin"
        self.bindir.mkdir()
        shutil.copy(SESSION / "weft-session", self.bindir / "weft-session")
        os.chmod(self.bindir / "weft-session", 0o755)
        (self.bindir / "weft-compositor").symlink_to(COMPOSITOR)
        (self.bindir / "weft-appd").symlink_to(APPD)
        installed = configured_bindir()
        for name in UNITS:
            text = (SESSION / name).read_text().replace(f"{installed}/", f"{self.bindir}/")
            (self.units / name).write_text(text)
        for name in STATIC_UNITS:
            shutil.copy(SOURCE / "session" / name, self.units / name)

        self.cgroups = [root / f"weft-test-{os.getpid()}-{self.run_dir.name}"
                        for root in cgroup_roots()]
        moves = "".join(f"mkdir {c} && echo $$ > {c}/cgroup.procs && " for c in self.cgroups)
        script = ("set -e; mkdir -p /run/systemd; mount -t tmpfs tmpfs /run/systemd; "
                  f"mkdir /run/systemd/system; {moves}exec {SYSTEMD} --user")
        self.notify = NotifySocket(self.run_dir)
        env = {"PATH": os.environ["PATH"], "HOME": str(self.home),
               "XDG_RUNTIME_DIR": str(self.run_dir), "NOTIFY_SOCKET": str(self.notify.path),
               "LANG": "C.UTF-8"}
        self.log = open(tmp_path / "systemd.log", "w+")
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                      script], env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.notify.wait_for("READY=1", self.proc)
        self.notify.close()
        # The test's own doubles and sanitizer settings, for the services.
        extra = {"WEFT_APP_SHELL": str(STANDIN), "WEFT_APP_STORE": str(BUILD / "apps"),
                 "WEFT_ALLOW_UNTRUSTED": "1",
                 "LSAN_OPTIONS": f"suppressions={LSAN_SUPP}:print_suppressions=0"}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if name in os.environ:
                extra[name] = os.environ[name]
        self.ctl("set-environment", *[f"{k}={v}" for k, v in extra.items()])

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if k not in ("WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DISPLAY", "NOTIFY_SOCKET",
                            "DBUS_SESSION_BUS_ADDRESS", "WEFT_APPD_SOCKET")}
        env.update(XDG_RUNTIME_DIR=str(self.run_dir), HOME=str(self.home),
                   WLR_BACKENDS="headless", WLR_RENDERER="pixman",
                   WLR_LIBINPUT_NO_DEVICES="1")
        return env

    def ctl(self, *args, check=True):
        r = subprocess.run(["systemctl", "--user", *args], env=self.env(),
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"systemctl --user {' '.join(args)}: {r.stderr}")
        return r

    def state(self, unit):
        return self.ctl("is-active", unit, check=False).stdout.strip()

    def prop(self, unit, name):
        return self.ctl("show", unit, "-p", name, "--value").stdout.strip()

    def environment(self):
        return dict(line.split("=", 1) for line in
                    self.ctl("show-environment").stdout.splitlines() if "=" in line)

    def logs(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        stop_process(self.proc, signal.SIGTERM, 30)
        for cgroup in self.cgroups:
            kill = cgroup / "cgroup.kill"
            if kill.exists():
                kill.write_text("1")
        for cgroup in self.cgroups:
            for d in sorted((p for p in cgroup.rglob("*") if p.is_dir()),
                            key=lambda p: len(p.parts), reverse=True) + [cgroup]:
                try:
                    d.rmdir()
                except OSError:
                    pass
        self.log.close()
        shutil.rmtree(self.run_dir, ignore_errors=True)


@pytest.fixture
def manager(tmp_path):
    reason = why_not()
    if reason:
        pytest.skip(f"no private systemd user manager: {reason}")
    m = UserManager(tmp_path)
    try:
        yield m
    finally:
        m.stop()


def start_session(manager, tmp_path, settled=True):
    log = open(tmp_path / "weft-session.log", "w")
    proc = subprocess.Popen([str(manager.bindir / "weft-session")], env=manager.env(),
                            stdout=log, stderr=subprocess.STDOUT)
    def up():
        if proc.poll() is not None:
            pytest.fail(f"weft-session exited {proc.returncode}")
        if manager.state("weft-session.target") != "active":
            return False
        # graphical-session.target comes last (the session is Before= it).
        return not settled or (manager.state("graphical-session.target") == "active" and
                               not manager.ctl("list-jobs", "--no-legend").stdout.strip())
    wait_until("the session to be up", up, timeout=60)
    return proc


def weftctl(manager, *args):
    r = subprocess.run([str(WEFTCTL), "--json", *args], env=manager.env(),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr + manager.logs()
    return json.loads(r.stdout)


def test_session_under_systemd(manager, tmp_path):
    """weft-session starts the target; the compositor is ready with
    WAYLAND_DISPLAY in the manager's environment, appd is connected to it and
    puts each app session in a transient scope with the limits; SIGTERM to
    weft-session (the display manager's logout) ends it all."""
    session = start_session(manager, tmp_path)
    for unit in ("weft-compositor.service", "weft-appd.service", "graphical-session.target"):
        assert manager.state(unit) == "active", unit
    display = manager.environment().get("WAYLAND_DISPLAY")
    assert display and (manager.run_dir / display).is_socket()
    assert manager.environment()["XDG_CURRENT_DESKTOP"] == "WEFT"

    info = weftctl(manager, "info")
    assert info["compositor"] is True
    assert info["pid"] == int(manager.prop("weft-appd.service", "MainPID"))
    assert info["limits"] == "systemd", info

    launched = weftctl(manager, "launch", COUNTER, "--wait")
    assert launched["state"] == "running", launched
    scope = f"app-weft-{COUNTER}-{launched['id']}.scope"
    assert manager.state(scope) == "active", manager.logs()
    assert manager.prop(scope, "MemoryMax") == str(512 << 20)
    assert manager.prop(scope, "CPUQuotaPerSecUSec") == "2s"
    # Every process of the session is in its scope: the runtime (the
    # scope's first) and the app-shell (attached later).
    state = weftctl(manager, "state", str(launched["id"]))
    pids = [v for k, v in state.items() if k.endswith("_pid") and v]
    assert len(pids) >= 2, state
    for pid in pids:
        assert f"/{scope}\n" in Path(f"/proc/{pid}/cgroup").read_text(), (pid, scope)

    session.send_signal(signal.SIGTERM)
    assert session.wait(60) == 0
    for unit in ("weft-session.target", "weft-compositor.service", "weft-appd.service", scope):
        wait_until(f"{unit} to stop", lambda: manager.state(unit) == "inactive")
    # Unneeded now, it stops by itself.
    wait_until("graphical-session.target to stop",
               lambda: manager.state("graphical-session.target") == "inactive")
    assert "WAYLAND_DISPLAY" not in manager.environment()


def test_leaving_the_compositor_ends_the_session(manager, tmp_path):
    """The compositor exits cleanly (the user left): the session ends, even
    when that happens while the session's start jobs are still queued
    (which left it running, weft-session waiting for ever, half the time)."""
    session = start_session(manager, tmp_path, settled=False)
    manager.ctl("kill", "-s", "TERM", "weft-compositor.service")
    assert session.wait(60) == 0
    for unit in ("weft-session.target", "weft-appd.service"):
        assert manager.state(unit) == "inactive", unit
    wait_until("graphical-session.target to stop",
               lambda: manager.state("graphical-session.target") == "inactive")


def test_a_crashed_appd_restarts_within_the_session(manager, tmp_path):
    """appd crashes: it restarts, connects to the same compositor (which took
    the first one's hangup) and serves; the session goes on."""
    session = start_session(manager, tmp_path)
    first = int(manager.prop("weft-appd.service", "MainPID"))
    os.kill(first, signal.SIGSEGV)
    wait_until("appd to restart",
               lambda: manager.prop("weft-appd.service", "NRestarts") == "1" and
               manager.state("weft-appd.service") == "active", timeout=60)
    info = weftctl(manager, "info")
    assert info["pid"] != first and info["compositor"] is True
    launched = weftctl(manager, "launch", COUNTER, "--wait")
    assert launched["state"] == "running"
    assert session.poll() is None
    assert manager.state("weft-compositor.service") == "active"


def test_a_crashed_compositor_ends_the_session(manager, tmp_path):
    """Every window dies with the compositor: the session ends, for the
    display manager to take over, instead of half of it going on."""
    session = start_session(manager, tmp_path)
    manager.ctl("kill", "-s", "SEGV", "weft-compositor.service")
    session.wait(60)
    for unit in ("weft-session.target", "weft-appd.service"):
        wait_until(f"{unit} to stop", lambda: manager.state(unit) == "inactive")
    assert manager.state("weft-compositor.service") == "failed"
    # The next login starts afresh.
    session = start_session(manager, tmp_path)
    assert manager.state("weft-compositor.service") == "active"
    session.send_signal(signal.SIGTERM)
    assert session.wait(60) == 0
