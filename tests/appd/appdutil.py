"""Helpers for weft-appd's lifecycle tests: a private XDG world, the real
headless compositor starting the real appd (or appd on its own with
--no-compositor), weftctl, raw protocol requests, screenshots with grim, and
looking for processes that should be gone."""

import fcntl
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import termios
import threading
import time
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("WEFT_BUILD_DIR") or SOURCE / "build")

COMPOSITOR = BUILD / "compositor" / "weft-compositor"
APPD = BUILD / "appd" / "weft-appd"
WEFTCTL = BUILD / "weftctl" / "weftctl"
RUNTIME = BUILD / "runtime" / "weft-runtime"
STANDIN = BUILD / "tests" / "appd" / "stand-in-app-shell"
APP_SHELL = BUILD / "app-shell" / "weft-app-shell"
WEFT_PACK = BUILD / "pack" / "weft-pack"
APPS = BUILD / "apps"
DEMO_KEY = SOURCE / "apps" / "keys" / "demo-signing-key.DEMO-ONLY.key"
DEMO_PUB = SOURCE / "apps" / "keys" / "demo-signing-key.DEMO-ONLY.pub"
LSAN_SUPP = SOURCE / "tests" / "compositor" / "lsan.supp"
FAKE_RUNTIME = SOURCE / "tests" / "appd" / "fake-runtime"
# A test guest that does what IPC messages say (tests/runtime/guests/probe.c).
PROBE = BUILD / "tests" / "runtime" / "probe.wasm"

COUNTER = "org.weft.demo.counter"
NOTES = "org.weft.demo.notes"

# The stand-in's colours (tests/appd/stand-in-app-shell.c), as 0xRRGGBB.
STANDIN_WAITING = 0x404040
STANDIN_CONNECTED = 0x20A040

MSG_MAX = 1024 * 1024

# What the test doubles read from their environment, which appd passes on
# into their sandbox (--sandbox-pass-env) when a test sets it.
SANDBOX_PASS_ENV = ("WEFT_TEST_RUN", "FAKE_RUNTIME", "FAKE_RUNTIME_LOG", "FAKE_RUNTIME_MODES",
                    "FAKE_RUNTIME_IGNORE_TERM", "FAKE_RUNTIME_SAY", "WEFT_STANDIN_NO_FRAME",
                    "WEFT_STANDIN_EXIT", "WEFT_STANDIN_SAY", "WEFT_STANDIN_RELAY",
                    "WEFT_STANDIN_PREWARM", "WEFT_STANDIN_WARM_UP_EXIT")


def wait_until(what, fn, timeout=10.0, interval=0.02):
    """fn() until it returns something true; that value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def alive(pid):
    """Whether pid is a process that has not exited (zombies count as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def accepted_connections(pid, path):
    """How many connections accepted on the Unix socket listening at path
    pid still holds: a connection its client closed stays until pid has
    handled the hangup."""
    inodes = set()
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            # Num RefCount Protocol Flags Type St Inode Path; a listener
            # has __SO_ACCEPTCON in its flags, what it accepted its path.
            fields = line.split()
            if len(fields) >= 8 and fields[7] == str(path) and fields[3] != "00010000":
                inodes.add(fields[6])
    held = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        held += link.startswith("socket:[") and link[len("socket:["):-1] in inodes
    return held


def settled_fd_count(pid, listening_path):
    """pid's fd count once it has let go of every connection accepted on
    listening_path (appd's control socket, the compositor's Wayland
    socket): a client that left is gone from it only after pid handled the
    hangup. Call it with no connection of the test's open."""
    wait_until(f"{pid} to let go of the connections to {listening_path}",
               lambda: accepted_connections(pid, listening_path) == 0)
    return fd_count(pid)


def processes_with_env(marker):
    """Pids of live processes whose environment holds marker (bytes)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if marker in env.split(b"\0") and alive(int(name)):
            found.append(int(name))
    return found


def settled_spare(weft, timeout=60):
    """appd's spare app-shell once it is ready (its pid) or there is none to
    come (None): with the stand-in, which cannot prewarm, there never is."""
    def settled():
        spare = weft.ctl_json("info").get("spare", {})
        state = spare.get("state", "off")
        return spare["pid"] if state == "ready" else -1 if state == "off" else None
    pid = wait_until("the spare app-shell to settle", settled, timeout=timeout)
    return pid if pid > 0 else None


SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def missing_programs(paths):
    """The ones of paths that were not built, as one line, or None."""
    missing = [str(p) for p in paths if not os.path.exists(p)]
    return "not built: " + ", ".join(missing) if missing else None


def stop_and_check(wefts):
    """Stops each Weft (the last started first), then checks that none left a
    process behind or a sanitizer report in its log."""
    for w in reversed(wefts):
        w.stop()
    for w in wefts:
        try:
            wait_until("every process to be gone", lambda: not w.leftovers(), timeout=10)
        except AssertionError:
            raise AssertionError(f"processes left behind: {w.leftovers()}\n{w.logs()}")
        logs = w.logs()
        for report in SANITIZER_REPORTS:
            assert report not in logs, logs


def ppm_pixels(data):
    """(width, height, pixel(x, y) -> 0xRRGGBB) of a binary PPM (as grim -t ppm
    writes it: P6\\n<w> <h>\\n255\\n<rgb...>)."""
    parts = data.split(b"\n", 3)
    width, height = map(int, parts[1].split())
    pixels = parts[3]

    def pixel(x, y):
        i = (y * width + x) * 3
        return (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]
    return width, height, pixel


def stop_process(proc, sig, timeout):
    """Sends sig to proc unless it has exited, waits up to timeout seconds,
    then kills it; its exit status."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def sign(package_dir):
    subprocess.run([str(WEFT_PACK), "sign", str(package_dir), "--key", str(DEMO_KEY)],
                   check=True, capture_output=True)


def make_package(root, app_id, capabilities=(), source=COUNTER, signed=True):
    """A copy of a demo package under root with another id and capabilities."""
    dest = Path(root) / app_id
    shutil.copytree(APPS / source, dest)
    caps = ", ".join(f'"{c}"' for c in capabilities)
    text = (dest / "wapp.toml").read_text()
    text = text.replace(f'id = "{source}"', f'id = "{app_id}"')
    lines = [f"capabilities = [{caps}]" if l.startswith("capabilities") else l
             for l in text.splitlines()]
    (dest / "wapp.toml").write_text("\n".join(lines) + "\n")
    (dest / "signature.sig").unlink()
    if signed:
        sign(dest)
    return dest


def make_probe_package(root, app_id, capabilities=()):
    """A signed package whose component is the probe guest."""
    dest = make_package(root, app_id, capabilities=capabilities, signed=False)
    shutil.copy(PROBE, dest / "app.wasm")
    sign(dest)
    return dest


class Relay:
    """The page's end of an app's IPC: the stand-in app-shell, started with
    WEFT_STANDIN_RELAY=self.path, connects here and relays both ways."""

    def __init__(self, directory):
        self.path = str(Path(directory) / "relay.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.listener.bind(self.path)
        self.listener.listen(1)
        self.listener.settimeout(20)
        self.sock = None

    def ask(self, message, timeout=10):
        """Sends message to the component; its answer (str)."""
        if self.sock is None:
            self.sock, _ = self.listener.accept()
        self.sock.settimeout(timeout)
        self.sock.send(message.encode())
        return self.sock.recv(MSG_MAX).decode()

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.listener.close()


class FakeCompositor:
    """The compositor's end of appd's control channel, played by a test."""

    def __init__(self):
        self.sock, self.appd_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(10)
        self.clients = []  # our ends of the Wayland connections handed out

    def receive(self):
        return json.loads(self.sock.recv(MSG_MAX))

    def expect(self, type_):
        msg = self.receive()
        assert msg["type"] == type_, msg
        return msg

    def reply(self, request, ok=True, with_fd=True):
        if not ok:
            msg = {"id": request["id"], "error": {"code": "internal", "message": "no way"}}
            self.sock.send(json.dumps(msg).encode())
            return
        msg = json.dumps({"id": request["id"], "ok": True}).encode()
        if with_fd:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            socket.send_fds(self.sock, [msg], [theirs.fileno()])
            theirs.close()
            self.clients.append(ours)
        else:
            self.sock.send(msg)

    def event(self, name, session_id, app_id=COUNTER):
        self.sock.send(json.dumps({"event": name, "app_id": app_id,
                                   "session_id": session_id}).encode())


class Weft:
    """A private WEFT: compositor + appd, or appd alone (compositor=False)."""

    def __init__(self, tmp_path, cache_dir, compositor=True, appd_args=(), env=None,
                 runtime=None, run_dir=None, compositor_fd=None, terminal=False, shell=None):
        self.tmp = Path(tmp_path)
        self.tmp.mkdir(parents=True)
        # Short, since socket paths are: pytest's own can be too long. A
        # later Weft may share an earlier one's, as a restarted appd would.
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="weft-appd-"))
        self.data_home = self.tmp / "data"
        self.config_home = self.tmp / "config"
        trust = self.config_home / "weft" / "trusted-keys"
        trust.mkdir(parents=True)
        shutil.copy(DEMO_PUB, trust / "demo.pub")
        self.user_store = self.data_home / "weft" / "apps"
        self.user_store.mkdir(parents=True)
        self.socket = self.run_dir / "weft" / "appd.sock"
        self.log_path = self.tmp / "weft.log"
        self.with_compositor = compositor

        e = {k: v for k, v in os.environ.items()
             if k not in ("WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DISPLAY", "WEFT_APPD_SOCKET",
                          "WEFT_RUNTIME", "NOTIFY_SOCKET", "WEFT_COMPOSITOR_FD")}
        e.update({
            "XDG_RUNTIME_DIR": str(self.run_dir),
            "XDG_DATA_HOME": str(self.data_home),
            "XDG_CONFIG_HOME": str(self.config_home),
            "XDG_CACHE_HOME": str(cache_dir),
            "HOME": str(self.tmp),
            "WEFT_APP_STORE": str(APPS),
            "WEFT_APP_SHELL": str(STANDIN),
            "WEFT_LOG": "info",
            "WLR_BACKENDS": "headless",
            "WLR_RENDERER": "pixman",
            "WLR_LIBINPUT_NO_DEVICES": "1",
        })
        if "LSAN_OPTIONS" not in e:
            e["LSAN_OPTIONS"] = f"suppressions={LSAN_SUPP}:print_suppressions=0"
        if runtime is not None:
            e["WEFT_RUNTIME"] = str(runtime)
        e.update(env or {})
        # Session processes run in their sandbox with a clean environment:
        # this one, passed on, marks them as this Weft's.
        e["WEFT_TEST_RUN"] = str(self.run_dir)
        self.env = e
        self.marker = f"XDG_RUNTIME_DIR={self.run_dir}".encode()
        self.child_marker = f"WEFT_TEST_RUN={self.run_dir}".encode()

        appd_cmd = [str(APPD), "--grace", "1000", "--limits", "none",
                    *self.sandbox_args(e), *appd_args]
        self.log = open(self.log_path, "wb")
        # terminal: started from a shell, as a job of a new session whose
        # controlling terminal is a pty (its stdin), kept until the end.
        self.pty_master = None
        stdin, setup = subprocess.DEVNULL, None
        if terminal:
            self.pty_master, stdin = os.openpty()

            def setup():
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        if compositor:
            # shell: the compositor's --shell command, else no shell.
            shell_args = ["--shell", shell] if shell is not None else ["--no-shell"]
            cmd = [str(COMPOSITOR), "--backend", "headless", "--size", "1280x720", *shell_args,
                   "--expose-test-protocols", "--appd", shlex.join(appd_cmd)]
        elif compositor_fd is not None:
            # The test plays the compositor on the other end.
            cmd = appd_cmd + ["--compositor-fd", str(compositor_fd)]
        else:
            cmd = appd_cmd + ["--no-compositor"]
        self.proc = subprocess.Popen(cmd, env=e, stdin=stdin, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=terminal,
                                     preexec_fn=setup,
                                     pass_fds=() if compositor_fd is None else (compositor_fd,))
        if terminal:
            os.close(stdin)
        try:
            self.wait_for_appd()
        except AssertionError:
            self.stop()
            self.cleanup()
            raise

    @staticmethod
    def sandbox_args(env):
        """What the test doubles need to see in their sandbox: their
        variables, the sanitizer's suppressions, the fake runtime's log and
        the relay's socket (only those a test asked for)."""
        args = ["--sandbox-share-ro", str(LSAN_SUPP)]
        for name in SANDBOX_PASS_ENV:
            args += ["--sandbox-pass-env", name]
        log = env.get("FAKE_RUNTIME_LOG")
        if log:
            Path(log).touch()
            args += ["--sandbox-share", log]
        relay = env.get("WEFT_STANDIN_RELAY")
        if relay:
            args += ["--sandbox-share-ro", str(Path(relay).parent)]
        return args

    # ---- appd ----

    def wait_for_appd(self, old_pid=None):
        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"exited with {self.proc.returncode}:\n{self.logs()}")
            r = self.ctl("info", check=False)
            if r.returncode != 0:
                return None
            pid = json.loads(r.stdout)["pid"]
            return pid if pid != old_pid else None
        self.appd_pid = wait_until("appd to answer", up, timeout=15)
        return self.appd_pid

    def ctl(self, *args, check=True, timeout=60):
        """weftctl --json ARGS; the CompletedProcess (text)."""
        r = subprocess.run([str(WEFTCTL), "--json", "--socket", str(self.socket), *args],
                           env=self.env, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"weftctl {' '.join(args)} failed ({r.returncode}): "
                                 f"{r.stderr}\n{self.logs()}")
        return r

    def ctl_json(self, *args):
        return json.loads(self.ctl(*args).stdout)

    def launch(self, app_id=COUNTER, wait=True):
        return self.ctl_json("launch", app_id, *(["--wait"] if wait else []))

    def state(self, session_id):
        return self.ctl_json("state", session_id)

    def wait_state(self, session_id, *states, timeout=15):
        return wait_until(f"session {session_id} to be {'/'.join(states)}",
                          lambda: (s := self.state(session_id))["state"] in states and s,
                          timeout=timeout)

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.settimeout(10)
        sock.connect(str(self.socket))
        return sock

    def request(self, msg, sock=None):
        """Sends msg (a dict, or raw bytes) and returns the reply as a dict."""
        own = sock is None
        sock = sock or self.connect()
        try:
            sock.send(msg if isinstance(msg, bytes) else json.dumps(msg).encode())
            while True:
                reply = json.loads(sock.recv(MSG_MAX))
                if "event" not in reply:
                    return reply
        finally:
            if own:
                sock.close()

    # ---- the screen ----

    def wayland_socket(self):
        """The compositor's Wayland socket (a Path)."""
        return next(p for p in self.run_dir.iterdir()
                    if p.name.startswith("wayland-") and not p.name.endswith(".lock"))

    def display_env(self):
        """self.env with WAYLAND_DISPLAY naming the compositor's socket."""
        return dict(self.env, WAYLAND_DISPLAY=self.wayland_socket().name)

    def screenshot(self):
        """(width, height, pixel(x, y) -> 0xRRGGBB) of the compositor's output."""
        return ppm_pixels(subprocess.run(["grim", "-t", "ppm", "-"], env=self.display_env(),
                                         capture_output=True, check=True, timeout=30).stdout)

    def centre_colour(self):
        width, height, pixel = self.screenshot()
        return pixel(width // 2, height // 2)

    # ---- the end ----

    def logs(self):
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")

    def leftovers(self):
        return processes_with_env(self.marker) + processes_with_env(self.child_marker)

    def stop(self):
        """Stops everything; returns the exit status of the process we started."""
        status = stop_process(self.proc, signal.SIGTERM, 20)
        self.log.close()
        if self.pty_master is not None:
            os.close(self.pty_master)
            self.pty_master = None
        return status

    def cleanup(self):
        shutil.rmtree(self.run_dir, ignore_errors=True)


class Watcher:
    """weftctl --json watch in the background, its events collected."""

    def __init__(self, weft):
        """Returns once appd counts it as a subscriber."""
        before = weft.ctl_json("info")["subscribers"]
        self.proc = subprocess.Popen([str(WEFTCTL), "--json", "--socket", str(weft.socket),
                                      "watch"], env=weft.env, stdout=subprocess.PIPE,
                                     text=True)
        self.events = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        wait_until("weftctl watch to subscribe",
                   lambda: weft.ctl_json("info")["subscribers"] > before)

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.events.append(json.loads(line))

    def states(self, sid, until=("stopped", "crashed"), timeout=15):
        """The states session sid went through, up to one in until."""
        def seen():
            with self.lock:
                states = [e["session"]["state"] for e in self.events
                          if e.get("event") == "state" and e["session"]["id"] == sid]
            return states if states and states[-1] in until else None
        return wait_until(f"session {sid} to reach {'/'.join(until)}", seen, timeout=timeout)

    def wait_for(self, event, timeout=15):
        """The events of one kind, once there is at least one (appd sends
        them as it answers, so a reply seen elsewhere may still be on its way
        here)."""
        def seen():
            with self.lock:
                return [e for e in self.events if e.get("event") == event]
        return wait_until(f"a {event} event", seen, timeout=timeout)

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.thread.join()


def fake(start, mode, tmp_path, **kw):
    """appd alone, running tests/appd/fake-runtime in mode; (Weft, its log)."""
    log = tmp_path / "fake-runtime.log"
    env = {"FAKE_RUNTIME": mode, "FAKE_RUNTIME_LOG": str(log)}
    env.update(kw.pop("env", {}))
    weft = start(compositor=False, runtime=FAKE_RUNTIME, env=env, **kw)
    return weft, log


def fake_log(log):
    return [json.loads(line) for line in log.read_text().splitlines()]
