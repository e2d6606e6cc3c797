"""weft-shell end to end, every part real: the headless compositor starts
weft-shell (Servo) and appd; the shell renders a stand-in system UI
(tests/shell/ui/system-ui.html, which speaks the page <-> host contract of
weft-shell(1)) from weft-system://. Input comes through the compositor's
virtual keyboard, results are read back from the screen."""

import json
import os
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from appdutil import BUILD, COUNTER, SOURCE, Weft, alive, stop_and_check, wait_until
from conftest import APP_SHELL
from test_apps import Frame, settled, user_input

SHELL = BUILD / "shell" / "weft-shell"
UI = SOURCE / "tests" / "shell" / "ui"
GREY, BLUE, YELLOW = 0x404040, 0x2050A0, 0xF0F000
MAGENTA, GREEN, RED = 0xC000C0, 0x00C000, 0xC00000
STRIP = (0, 0, 1280, 48)
BELOW = (0, 48, 1280, 720)

pytestmark = pytest.mark.skipif(not SHELL.exists(), reason=f"no {SHELL} (webview disabled)")


@pytest.fixture
def pam_dir(tmp_path):
    """PAM files for the test: the password is accepted only if it is "sesame"."""
    d = tmp_path / "pam.d"
    d.mkdir()
    checker = tmp_path / "check-password"
    checker.write_text('#!/bin/sh\nread -r pw\n[ "$pw" = sesame ]\n')
    checker.chmod(0o755)
    (d / "weft-shell").write_text(
        f"auth required pam_exec.so expose_authtok quiet {checker}\n"
        "account required pam_permit.so\n")
    return d


def start(tmp_path, cache_dir, pam_dir, *shell_args, ui=UI):
    shell = shlex.join([str(SHELL), "--ui-dir", str(ui), *shell_args])
    return Weft(tmp_path / "w", cache_dir, shell=shell,
                env={"WEFT_APP_SHELL": str(APP_SHELL), "WEFT_SHELL_PAM_CONFDIR": str(pam_dir)})


@pytest.fixture
def weft(tmp_path, cache_dir, pam_dir):
    w = start(tmp_path, cache_dir, pam_dir)
    yield w
    try:
        stop_and_check([w])
    finally:
        w.cleanup()


@pytest.fixture
def weft_idle(tmp_path, cache_dir, pam_dir):
    """As weft, with the shell told of 3 s without input."""
    w = start(tmp_path, cache_dir, pam_dir, "--idle-timeout", "3")
    yield w
    try:
        stop_and_check([w])
    finally:
        w.cleanup()


def count(frame, rgb, box):
    x0, y0, x1, y1 = box
    needle = rgb.to_bytes(3, "big")
    return sum(1 for y in range(y0, y1, 4) for x in range(x0, x1, 4)
               if frame.rgb[(y * 1280 + x) * 3:(y * 1280 + x) * 3 + 3] == needle)


def shows(weft, what, test, timeout=60):
    def step():
        return test(Frame(weft))
    return wait_until(what, step, timeout=timeout, interval=0.2)


def panel_drawn(weft):
    shows(weft, "the panel", lambda f: f.pixel(640, 20) == BLUE and f.pixel(640, 400) == GREY)


def shell_pid(weft):
    """The running weft-shell's pid (a child of the compositor)."""
    out = subprocess.run(["pgrep", "-P", str(weft.proc.pid), "-f", str(SHELL)],
                         capture_output=True, text=True).stdout.split()
    return int(out[0]) if len(out) == 1 else None


def command(weft, text):
    """Opens the overlay with Super and types a command for the stand-in page."""
    user_input(weft, "key", "Super_L")
    shows(weft, "the overlay", lambda f: f.pixel(640, 400) == MAGENTA)
    user_input(weft, "type", text + "\n")


def test_panel_is_drawn(weft):
    panel_drawn(weft)
    frame = Frame(weft)
    # The strip is the panel's, the rest its desktop: nothing of the
    # compositor's background shows.
    assert count(frame, BLUE, STRIP) == count(frame, BLUE, (0, 0, 1280, 720)) > 0
    assert frame.pixel(5, 700) == GREY


def test_panel_lists_sessions_through_appd(weft):
    panel_drawn(weft)
    session = weft.launch(COUNTER)
    # The app fills the work area below the strip; the panel's appd
    # subscription showed its session.
    shows(weft, "a session in the panel", lambda f: count(f, YELLOW, STRIP) > 0)
    weft.ctl_json("terminate", session["id"], "--wait")
    shows(weft, "no session in the panel", lambda f: count(f, YELLOW, STRIP) == 0)


def test_panel_follows_a_restarted_appd(weft):
    panel_drawn(weft)
    weft.launch(COUNTER)
    shows(weft, "a session in the panel", lambda f: count(f, YELLOW, STRIP) > 0)
    old = weft.appd_pid
    os.kill(old, signal.SIGKILL)
    # The compositor starts a new appd, which brings the app back as a new
    # session; the shell connects to it again by itself.
    weft.wait_for_appd(old_pid=old)
    restored = wait_until("the app back, running", lambda: (
        ps := weft.ctl_json("ps"),
        len(ps) == 1 and ps[0]["state"] == "running" and ps[0])[-1], timeout=30)
    # The panel is subscribed to the new appd: it sees the session end.
    weft.ctl_json("terminate", restored["id"], "--wait")
    shows(weft, "no session in the panel", lambda f: count(f, YELLOW, STRIP) == 0)


def test_overlay_shows_on_super_and_hides(weft):
    panel_drawn(weft)
    session = weft.launch(COUNTER)
    shows(weft, "the app", lambda f: f.pixel(640, 400) not in (GREY, MAGENTA))
    # Keys typed right after Super reach the overlay's page.
    command(weft, "hide")
    # Nothing of it stays on screen, where the app does not redraw either:
    # the panel's strip is back.
    shows(weft, "the overlay hidden", lambda f: f.pixel(640, 400) not in (GREY, MAGENTA)
          and count(f, MAGENTA, (0, 0, 1280, 720)) == 0 and f.pixel(640, 20) == BLUE)
    weft.ctl_json("terminate", session["id"], "--wait")


def test_unknown_request_is_refused(weft):
    panel_drawn(weft)
    command(weft, "unsubscribe")
    shows(weft, "the error", lambda f: f.pixel(30, 30) == RED)
    command(weft, "info")
    shows(weft, "the reply", lambda f: f.pixel(30, 30) == GREEN)


def test_shell_focus_focuses_an_app(weft):
    panel_drawn(weft)
    first = weft.launch(COUNTER)
    second = weft.launch(COUNTER)
    number = (400, 200, 880, 420)  # the counter's big number, black on white

    def ink(frame):
        return count(frame, 0x000000, number)
    zero = wait_until("the second counter's 0", lambda: (
        shows(weft, "the apps", lambda f: f.pixel(640, 400) not in (GREY, MAGENTA))
        and ink(Frame(weft)) > 0 and settled(weft, number) and ink(Frame(weft))), timeout=60)
    # The first counter comes on top with the keyboard: Up counts there.
    command(weft, "focus:" + first["id"])
    shows(weft, "the overlay hidden", lambda f: f.pixel(640, 400) not in (GREY, MAGENTA))
    user_input(weft, "key", "Up")
    one = shows(weft, "the first counter's 1", lambda f: ink(f) not in (0, zero) and ink(f))
    # Back to the second, which did not count; then the first, still at 1.
    command(weft, "focus:" + second["id"])
    shows(weft, "the second counter", lambda f: ink(f) == zero)
    command(weft, "focus:" + first["id"])
    shows(weft, "the first counter", lambda f: ink(f) == one)
    command(weft, "focus:no-such-session")
    shows(weft, "the error", lambda f: f.pixel(30, 30) == RED)
    # Both pages heard each app take the focus (the compositor's focused
    # event): the second as it opened, then the first, the second and the
    # first again, in that order.
    for page in ("panel", "overlay"):
        def heard(page=page):
            got = (json.loads(line.split(f"console: {page} got ", 1)[1])
                   for line in weft.logs().splitlines()
                   if f"console: {page} got " in line and "shell.focused" in line)
            return [m.get("session_id") for m in got if m.get("event") == "shell.focused"]
        want = [second["id"], first["id"], second["id"], first["id"]]
        wait_until(f"the {page} to hear the focus", lambda: heard()[-4:] == want, timeout=30)
    for s in (first, second):
        weft.ctl_json("terminate", s["id"], "--wait")


def test_shell_restarts_after_kill_9_and_apps_keep_running(weft):
    panel_drawn(weft)
    session = weft.launch(COUNTER)
    before = wait_until("the shell's pid", lambda: shell_pid(weft), timeout=30)
    os.kill(before, signal.SIGKILL)
    after = wait_until("a new shell", lambda: (p := shell_pid(weft)) not in (None, before) and p,
                       timeout=60)
    assert after != before
    assert weft.state(session["id"])["state"] == "running"
    assert alive(session["app_shell_pid"])
    # The new shell's panel is drawn again and sees the running app.
    shows(weft, "the panel again", lambda f: count(f, YELLOW, STRIP) > 0)
    # The app's window is still on screen.
    shows(weft, "the app", lambda f: f.pixel(640, 400) not in (GREY, MAGENTA))
    weft.ctl_json("terminate", session["id"], "--wait")


def no_app_pixels(frame):
    """Nothing of the counter (white page, grey buttons) nor of the panel."""
    return all(count(frame, rgb, (0, 0, 1280, 720)) == 0
               for rgb in (0xFFFFFF, 0xDCDCDC, GREY, BLUE))


def test_lock_hides_apps_and_survives_a_shell_crash(weft):
    panel_drawn(weft)
    session = weft.launch(COUNTER)
    shows(weft, "the app", lambda f: f.pixel(640, 400) not in (GREY, MAGENTA))
    command(weft, "lock")
    shows(weft, "the lock screen", lambda f: no_app_pixels(f) and f.pixel(30, 30) == GREEN)

    before = shell_pid(weft)
    os.kill(before, signal.SIGKILL)
    # Dead shell: still nothing of the apps, whatever the screen shows meanwhile.
    for _ in range(5):
        assert no_app_pixels(Frame(weft))
    wait_until("a new shell", lambda: (p := shell_pid(weft)) not in (None, before) and p,
               timeout=60)
    # The new shell took the lock over and shows its lock screen.
    shows(weft, "the new lock screen", lambda f: f.pixel(640, 400) == MAGENTA)
    assert no_app_pixels(Frame(weft))
    # A wrong password keeps it locked; the right one unlocks.
    user_input(weft, "type", "unlock:wrong\n")
    shows(weft, "the refusal", lambda f: f.pixel(30, 30) == RED)
    assert no_app_pixels(Frame(weft))
    user_input(weft, "type", "unlock:sesame\n")
    shows(weft, "the app again", lambda f: f.pixel(640, 400) not in (GREY, MAGENTA, 0))
    assert weft.state(session["id"])["state"] == "running"
    weft.ctl_json("terminate", session["id"], "--wait")


def test_idle_tells_the_page_which_locks(weft_idle):
    weft = weft_idle
    panel_drawn(weft)
    session = weft.launch(COUNTER)
    # No input: the stand-in page locks on shell.idle.
    shows(weft, "the lock screen", lambda f: no_app_pixels(f) and f.pixel(30, 30) == GREEN)
    assert "session locked" in weft.logs()
    weft.ctl_json("terminate", session["id"], "--wait")


def test_system_scheme_serves_only_its_own_files(tmp_path, cache_dir, pam_dir):
    """weft-system://ui/ is the UI directory and nothing else: no way out
    through .. or a symlink, no network, no file:, no app's origin."""
    ui = tmp_path / "ui"
    shutil.copytree(UI, ui)
    (ui / "link.html").symlink_to("/etc/passwd")
    weft = start(tmp_path, cache_dir, pam_dir, ui=ui)
    try:
        panel_drawn(weft)
        command(weft, "probe")
        wait_until("the probes", lambda: "probe done" in weft.logs(), timeout=60)
        got = {}
        for line in weft.logs().splitlines():
            if "console: probe " in line and "probe done" not in line:
                url, status = line.split("console: probe ", 1)[1].rsplit(" ", 1)
                got[url] = status
        assert got == {
            "weft-system://ui/system-ui.html": "200",
            "weft-system://ui/../../../etc/passwd": "404",
            "weft-system://ui/..%2f..%2f..%2fetc%2fpasswd": "404",
            "weft-system://ui/link.html": "404",
            # No icon entry in the demo's manifest (and no apps reply yet).
            "weft-system://app-icon/org.weft.demo.counter": "404",
            "weft-system://elsewhere/system-ui.html": "refused",
            "weft-app://org.weft.demo.counter/ui/index.html": "refused",
            "http://127.0.0.1:9/": "refused",
            "file:///etc/passwd": "refused",
        }, got
    finally:
        try:
            stop_and_check([weft])
        finally:
            weft.cleanup()
