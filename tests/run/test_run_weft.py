"""The README's run command, as a user runs it: scripts/run-weft headless in a
private home, then weftctl and grim with the environment it prints, then
Ctrl+C. With weft-app-shell built, the counter's page must be on screen;
without it the run uses the stand-in app-shell and says so. With weft-shell
built, the system shell runs and its panel is on screen; without it the run
says there is no system shell."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from appdutil import APP_SHELL, BUILD, COUNTER, NOTES, SOURCE, STANDIN_CONNECTED, \
    ppm_pixels, processes_with_env, wait_until
from runweft import RunWeft

SHELL = BUILD / "shell" / "weft-shell"
WITH_SHELL = SHELL.exists() and APP_SHELL.exists()
PANEL_BG = 0xE9EBF0  # shell/ui/system-ui.css --panel-bg, the light theme's
PANEL_HEIGHT = 48


@pytest.mark.skipif(not WITH_SHELL, reason="weft-shell not built (no warm Servo build)")
def test_run_weft_idle_lock_reaches_the_shell(tmp_path):
    """--idle-lock 0 (never) is weft-shell's --idle-timeout."""
    run = RunWeft(tmp_path, "--idle-lock", "0")
    try:
        run.wait_up()
        pids = wait_until("weft-shell to run", lambda: [
            pid for pid in processes_with_env(run.marker)
            if os.path.realpath(f"/proc/{pid}/exe") == str(SHELL.resolve())], timeout=30)
        argv = Path(f"/proc/{pids[0]}/cmdline").read_bytes().split(b"\0")
        assert argv[argv.index(b"--idle-timeout") + 1] == b"0", argv
    finally:
        run.stop()
        run.cleanup()


def test_run_weft_refuses_a_bad_idle_lock():
    """A bad --idle-lock is one clear line and exit 2, before anything starts."""
    for bad in ("9x", "-1", "86401"):
        proc = subprocess.run([str(SOURCE / "scripts" / "run-weft"), "--no-build",
                               "--idle-lock", bad], capture_output=True, text=True,
                              timeout=30)
        assert proc.returncode == 2, (bad, proc)
        assert proc.stderr == ("run-weft: error: argument --idle-lock: "
                               f"'{bad}' is not a number of seconds, 0 to 86400\n"), proc.stderr
        assert proc.stdout == ""


@pytest.fixture
def run_weft(tmp_path):
    r = RunWeft(tmp_path)
    yield r
    r.stop()
    r.cleanup()


def test_run_weft_brings_weft_up_and_the_counter_runs(run_weft, tmp_path):
    run_weft.wait_up()
    out = "\n".join(run_weft.output())
    assert "headless" in out
    if WITH_SHELL:
        assert "starts the system shell (weft-shell)" in out and "Super opens the launcher" in out
    else:
        assert "weft-shell is not built (no warm Servo build): no system shell" in out
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
            run.cleanup()


@pytest.mark.skipif(not WITH_SHELL, reason="weft-shell not built (no warm Servo build)")
def test_run_weft_shows_the_shell(run_weft):
    """make run shows the system shell: weft-shell runs under the compositor,
    on this tree's system UI, and its panel is on screen before any app."""
    run_weft.wait_up()

    def shells():
        return [pid for pid in processes_with_env(run_weft.marker)
                if os.path.realpath(f"/proc/{pid}/exe") == str(SHELL.resolve())]
    pid = wait_until("weft-shell to run", shells, timeout=30)[0]
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert argv[argv.index(b"--ui-dir") + 1] == str(SOURCE / "shell" / "ui").encode(), argv
    assert argv[argv.index(b"--idle-timeout") + 1] == b"300", argv

    def panel():
        width, height, pixel = ppm_pixels(run_weft.user("grim -t ppm -", text=False).stdout)
        strip = [pixel(x, y) for y in range(0, PANEL_HEIGHT, 4) for x in range(0, width, 4)]
        return (pixel(2, 2) == PANEL_BG and pixel(width - 3, 2) == PANEL_BG
                and strip.count(PANEL_BG) > 0.8 * len(strip))
    wait_until("the shell's panel across the top of the screen", panel, timeout=90,
               interval=0.2)
    assert run_weft.user("weftctl --json ps").stdout.strip() == "[]"
