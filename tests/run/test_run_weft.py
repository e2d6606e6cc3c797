"""The README's run command, as a user runs it: scripts/run-weft headless in a
private home, then weftctl and grim with the environment it prints, then
Ctrl+C. With weft-app-shell built, the counter's page must be on screen;
without it the run uses the stand-in app-shell and says so."""

import os
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from appdutil import APP_SHELL, BUILD, COUNTER, NOTES, SOURCE, STANDIN_CONNECTED, \
    ppm_pixels, processes_with_env, stop_process, wait_until

RUN_WEFT = SOURCE / "scripts" / "run-weft"


class RunWeft:
    """scripts/run-weft in the background, its output collected."""

    def __init__(self, tmp_path, *args):
        self.shots = tmp_path / "screenshots"
        self.run_dir = Path(tempfile.mkdtemp(prefix="weft-run-"))
        self.home = tmp_path / "home"
        self.home.mkdir()
        env = {k: v for k, v in os.environ.items()
               if k not in ("WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DISPLAY", "WEFT_APPD_SOCKET",
                            "WEFT_APP_STORE", "WEFT_APP_SHELL", "WEFT_RUNTIME",
                            "WEFT_COMPOSITOR_FD", "NOTIFY_SOCKET", "XDG_DATA_HOME",
                            "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MAKEFLAGS", "BUILD")}
        env.update(HOME=str(self.home), XDG_RUNTIME_DIR=str(self.run_dir))
        self.env = env
        self.marker = f"XDG_RUNTIME_DIR={self.run_dir}".encode()
        self.lines = []
        self.lock = threading.Lock()
        self.log = open(tmp_path / "run-weft.log", "w")
        cmd = [str(RUN_WEFT), "--no-build", "--build", str(BUILD),
               "--screenshots", str(self.shots), *args]
        self.proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def output(self):
        with self.lock:
            return list(self.lines)

    def wait_up(self):
        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"run-weft exited {self.proc.returncode}:\n"
                                     + "\n".join(self.output()) + self.logs())
            return any("Ctrl+C stops WEFT" in line for line in self.output())
        wait_until("run-weft to say WEFT is up", up, timeout=60)

    def printed_command(self, start):
        """The indented command line run-weft printed that starts with start."""
        return next(line.strip() for line in self.output()
                    if line.startswith("    ") and line.strip().startswith(start))

    def user(self, command, check=True, text=True):
        """command in sh, after sourcing the environment file run-weft printed."""
        script = f"{self.printed_command('. ')} && {command}"
        r = subprocess.run(["sh", "-c", script], env=self.env, capture_output=True, text=text,
                           timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"{command}: {r.returncode}: {r.stderr}{self.logs()}")
        return r

    def logs(self):
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        status = stop_process(self.proc, signal.SIGINT, 30)
        self.thread.join(5)
        self.log.close()
        return status


@pytest.fixture
def run_weft(tmp_path):
    r = RunWeft(tmp_path)
    yield r
    r.stop()
    try:
        wait_until("every process to be gone", lambda: not processes_with_env(r.marker),
                   timeout=10)
    finally:
        shutil.rmtree(r.run_dir, ignore_errors=True)


def test_run_weft_brings_weft_up_and_the_counter_runs(run_weft, tmp_path):
    run_weft.wait_up()
    out = "\n".join(run_weft.output())
    assert "headless" in out and "no system shell yet" in out
    grim = run_weft.printed_command("grim ")
    if not APP_SHELL.exists():
        assert "weft-app-shell is not built" in out

    # The demo apps are in the user's store, and runnable in developer mode
    # only: the demo key is in no trust store.
    store = run_weft.home / ".local" / "share" / "weft" / "apps"
    assert (store / COUNTER / "wapp.toml").exists() and (store / NOTES / "wapp.toml").exists()
    trust = run_weft.home / ".config" / "weft" / "trusted-keys"
    assert not trust.exists() or not any(trust.iterdir())
    listing = run_weft.user("weft-pack list").stdout
    assert COUNTER in listing and "untrusted" in listing, listing

    session = run_weft.user(f"weftctl launch {COUNTER} --wait").stdout.strip()
    assert session.isdigit(), session
    ps = run_weft.user("weftctl ps").stdout
    assert f"{session} " in ps and "running" in ps, ps

    # The printed grim command works; pixels are read from grim's PPM.
    run_weft.user(grim)
    assert Path(grim.split()[-1]).read_bytes().startswith(b"\x89PNG")

    def screen():
        return ppm_pixels(run_weft.user("grim -t ppm -", text=False).stdout)

    if APP_SHELL.exists():
        # The counter's page: its number, dark on light, in the middle.
        def dark_pixels():
            width, height, pixel = screen()
            return sum(1 for y in range(270, 370, 2) for x in range(560, 720, 2)
                       if (pixel(x, y) & 0xFF) < 0x60)
        wait_until("the counter's number on screen", lambda: dark_pixels() > 100, timeout=20)

        # The counter counts, typed at as the printed wtype line shows:
        # + three times, then -, looks exactly like + twice.
        def number():
            width, height, pixel = screen()
            return tuple(pixel(x, y) for y in range(250, 390, 2) for x in range(520, 760, 2))

        def after(keys, before):
            run_weft.user(keys)
            return wait_until(f"{keys} to change the number",
                              lambda: (n := number()) != before and n == number() and n)
        assert "wtype +" in run_weft.printed_command("wtype ")
        shots = [number()]
        for _ in range(3):
            shots.append(after("wtype +", shots[-1]))
        two = after("wtype -k minus", shots[-1])
        assert len(set(shots)) == 4 and two == shots[2]
    else:
        wait_until("the stand-in's connected colour",
                   lambda: screen()[2](640, 360) == STANDIN_CONNECTED, timeout=20)

    assert run_weft.user(f"weftctl terminate {session} --wait").returncode == 0
    assert "stopped" in run_weft.user(f"weftctl state {session}").stdout

    # Ctrl+C: everything stops (the fixture checks that no process is left).
    env_file = Path(run_weft.printed_command(". ")[2:])
    assert run_weft.stop() == 0, run_weft.logs()
    assert run_weft.output()[-1] == "run-weft: stopped"
    assert not env_file.exists()


@pytest.mark.skipif(shutil.which("wayland-info") is None, reason="wayland-info not installed")
def test_run_weft_offers_desktop_tools_when_asked(tmp_path):
    """make run ARGS=--allow-desktop-tools: a bar or a launcher started from the
    printed environment finds the layer shell; without it, it does not."""
    for args, offered in (((), False), (("--allow-desktop-tools",), True)):
        where = tmp_path / ("tools" if offered else "plain")
        where.mkdir()
        run = RunWeft(where, *args)
        try:
            run.wait_up()
            globals_ = run.user("wayland-info").stdout
            assert ("zwlr_layer_shell_v1" in globals_) == offered, globals_
            assert ("zwlr_foreign_toplevel_manager_v1" in globals_) == offered, globals_
        finally:
            run.stop()
            try:
                wait_until("every process to be gone",
                           lambda: not processes_with_env(run.marker), timeout=10)
            finally:
                shutil.rmtree(run.run_dir, ignore_errors=True)
