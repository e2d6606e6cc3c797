"""scripts/run-weft as a user runs it (the README's `make run`), in the
background with a private home and runtime directory: for the run lane
(tests/run) and the Servo lane's walk-through (tests/e2e)."""

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from appdutil import BUILD, SOURCE, processes_with_env, stop_process, wait_until

RUN_WEFT = SOURCE / "scripts" / "run-weft"


class RunWeft:
    """scripts/run-weft in the background, its output collected."""

    def __init__(self, tmp_path, *args, extra_env=None):
        self.shots = tmp_path / "screenshots"
        self.run_dir = Path(tempfile.mkdtemp(prefix="weft-run-"))
        self.home = tmp_path / "home"
        self.home.mkdir()
        env = {k: v for k, v in os.environ.items()
               if k not in ("WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DISPLAY", "WEFT_APPD_SOCKET",
                            "WEFT_APP_STORE", "WEFT_APP_SHELL", "WEFT_RUNTIME",
                            "WEFT_COMPOSITOR_FD", "NOTIFY_SOCKET", "XDG_DATA_HOME",
                            "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "MAKEFLAGS", "BUILD")}
        env.update(HOME=str(self.home), XDG_RUNTIME_DIR=str(self.run_dir), **(extra_env or {}))
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
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def stop(self):
        status = stop_process(self.proc, signal.SIGINT, 30)
        self.thread.join(5)
        self.log.close()
        return status

    def display_env(self):
        """The environment run-weft printed (its env file), for grim and the
        test input programs."""
        env = dict(self.env)
        for line in Path(self.printed_command(". ")[2:]).read_text().splitlines():
            name, value = line.removeprefix("export ").split("=", 1)
            if name in ("XDG_RUNTIME_DIR", "WAYLAND_DISPLAY"):
                env[name] = shlex.split(value)[0]
        return env

    def cleanup(self):
        """After stop(): no process of this run is left, its runtime directory gone."""
        try:
            wait_until("every process to be gone", lambda: not processes_with_env(self.marker),
                       timeout=10)
        finally:
            shutil.rmtree(self.run_dir, ignore_errors=True)
