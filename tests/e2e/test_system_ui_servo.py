"""The real system UI (shell/ui) end to end, every part real: the headless
compositor starts weft-shell (Servo) on shell/ui/system-ui.html and appd,
which runs the demo apps in weft-app-shell. A person's input comes through
the compositor's virtual keyboard (Super, typing, Super+L); what they would
see is read back from the screen (grim) and what appd did from appd.

The page is read only by its colours (shell/ui/system-ui.css, light
theme): the panel's strip, and each app's fallback icon, the app's colour
from its id (dom.js idColour), in the task list and on a toast. Each step's
screenshot is kept in the test's directory (screenshots/)."""

import colorsys
import subprocess

import pytest

from appdutil import COUNTER, PROBE, SOURCE, make_package, sign, stop_and_check, wait_until
from test_apps import Frame, user_input
from test_shell_servo import SHELL, pam_dir, start  # noqa: F401 (pam_dir: a fixture)

UI = SOURCE / "shell" / "ui"
WIDTH, HEIGHT = 1280, 720
STRIP = (0, 0, WIDTH, 48)
BELOW = (0, 48, WIDTH, HEIGHT)
SCREEN = (0, 0, WIDTH, HEIGHT)
PANEL_BG = 0xE9EBF0  # --panel-bg
LOCK_BG = 0xF4F5F7  # --bg, the lock screen's
TOAST_BG = 0xFFFFFF  # --surface, a toast's
BUTTON_FILL = 0x1F5FBF  # the counter's buttons (the kit's weft-button fill)
COUNTER_PAGE = 0xFFFFFF  # the counter page's background
# Sampled white pixels below the strip: far fewer than the counter's page
# (over 100,000 of the 215,040 samples), more than the lock screen's field.
COUNTER_PAGE_MAX = 20000
SELECTED_BG = 0xDBE6F8  # --selected, the launcher's chosen tile
ACCENT = 0x1F5FBF  # --accent, the Unlock button's
GRID = (0, 100, 880, 400)  # the launcher's first rows of apps
SEARCH = (640, 72)  # in the launcher's search field, right of what is typed
NOTIFIER = "org.weft.test.notifier"
NOTIFIER_BG = 0x30A0A0  # the notifier's page

pytestmark = pytest.mark.skipif(not SHELL.exists(), reason=f"no {SHELL} (webview disabled)")
needs_probe = pytest.mark.skipif(not PROBE.exists(), reason=f"no {PROBE} (no wasm toolchain)")


def id_colour(app_id):
    """dom.js idColour: the fallback icon's background for app_id."""
    h = 2166136261
    for c in app_id:
        h = ((h ^ ord(c)) * 16777619) & 0xFFFFFFFF
    r, g, b = colorsys.hls_to_rgb((h % 360) / 360, 0.30, 0.50)
    return (round(r * 255) << 16) | (round(g * 255) << 8) | round(b * 255)


def near(a, b, tolerance=3):
    return all(abs(((a >> s) & 0xFF) - ((b >> s) & 0xFF)) <= tolerance for s in (16, 8, 0))


def count(frame, rgb, box, tolerance=0, step=2):
    """How many pixels of box (every step-th of every step-th row) are rgb."""
    x0, y0, x1, y1 = box
    n = 0
    for y in range(y0, y1, step):
        row = frame.rgb[(y * WIDTH + x0) * 3:(y * WIDTH + x1) * 3]
        for i in range(0, len(row), 3 * step):
            px = int.from_bytes(row[i:i + 3], "big")
            n += px == rgb if tolerance == 0 else near(px, rgb, tolerance)
    return n


def reddish(frame, box):
    """Pixels of box in the red of --danger (#b3261e), sub-pixel text included."""
    x0, y0, x1, y1 = box
    n = 0
    for y in range(y0, y1):
        row = frame.rgb[(y * WIDTH + x0) * 3:(y * WIDTH + x1) * 3]
        for i in range(0, len(row), 3):
            n += row[i] > row[i + 1] + 60 and row[i] > row[i + 2] + 40
    return n


class Steps:
    """Waits for what the screen shows, keeping a screenshot of each step."""

    def __init__(self, weft, directory):
        self.weft = weft
        self.dir = directory
        self.dir.mkdir()
        self.n = 0

    def shows(self, what, test, timeout=90):
        def step():
            frame = Frame(self.weft)
            return test(frame) and frame
        frame = wait_until(what, step, timeout=timeout, interval=0.2)
        self.n += 1
        name = f"{self.n:02d}-{what.replace(' ', '-')}.png"
        subprocess.run(["grim", "-t", "png", str(self.dir / name)], env=self.weft.display_env(),
                       check=True, timeout=30)
        return frame


@pytest.fixture
def weft(tmp_path, cache_dir, pam_dir):  # noqa: F811
    w = start(tmp_path, cache_dir, pam_dir, ui=UI)
    yield w
    try:
        stop_and_check([w])
    finally:
        w.cleanup()


@pytest.fixture
def steps(weft, tmp_path):
    return Steps(weft, tmp_path / "screenshots")


def panel_drawn(steps):
    """The panel's strip across the top: most of it its colour, from one
    end to the other (a launcher button, the status area and a clock on it)."""
    strip = (STRIP[2] // 2) * (STRIP[3] // 2)
    return steps.shows("the panel", lambda f: count(f, PANEL_BG, STRIP) > 0.8 * strip
                       and f.pixel(2, 2) == PANEL_BG and f.pixel(WIDTH - 3, 2) == PANEL_BG)


def in_taskbar(frame, app_id):
    """The app's icon in the panel's strip (the task list; a toast has one too)."""
    return count(frame, id_colour(app_id), STRIP, tolerance=3, step=1)


def counter_shown(frame):
    """The counter's buttons below the strip."""
    return count(frame, BUTTON_FILL, BELOW) > 100


def running(weft, app_id):
    return [s for s in weft.ctl_json("ps") if s["app_id"] == app_id and s["state"] == "running"]


def test_panel_is_drawn(weft, steps):
    frame = panel_drawn(steps)
    # The desktop below the strip is the panel's page too (its --bg),
    # nothing of the compositor's background.
    assert frame.pixel(WIDTH // 2, HEIGHT // 2) == LOCK_BG
    assert count(frame, LOCK_BG, BELOW) == (BELOW[2] // 2) * ((BELOW[3] - BELOW[1]) // 2)


def test_launcher_starts_the_counter_and_the_taskbar_lists_it(weft, steps):
    panel_drawn(steps)
    assert in_taskbar(Frame(weft), COUNTER) == 0
    assert running(weft, COUNTER) == []
    # Super opens the launcher; what is typed at once, before it is on
    # screen, lands in its search: the counter is the one result, selected.
    user_input(weft, "key", "Super_L")
    user_input(weft, "type", "cou")
    steps.shows("the launcher found the counter", lambda f: f.pixel(*SEARCH) == TOAST_BG
                and count(f, SELECTED_BG, GRID) > 1000 and count(f, id_colour(COUNTER), GRID,
                                                                 tolerance=3) > 300)
    assert running(weft, COUNTER) == []
    user_input(weft, "key", "Return")
    sessions = wait_until("a counter session running", lambda: running(weft, COUNTER),
                          timeout=90, interval=0.2)
    assert len(sessions) == 1
    steps.shows("the counter", counter_shown)
    steps.shows("the counter in the taskbar", lambda f: in_taskbar(f, COUNTER) > 50)
    weft.ctl_json("terminate", sessions[0]["id"], "--wait")
    steps.shows("no task again", lambda f: in_taskbar(f, COUNTER) == 0)


def make_notifier(root):
    """A test app granted sys:notifications: the probe guest, with a page
    of its own colour that asks it to notify "Saved" until it said ok."""
    dest = make_package(root, NOTIFIER, capabilities=["sys:notifications"], signed=False)
    manifest = dest / "wapp.toml"
    manifest.write_text(manifest.read_text().replace('name = "Counter"', 'name = "Notifier"'))
    (dest / "app.wasm").write_bytes(PROBE.read_bytes())
    ui = dest / "ui"
    for f in ui.iterdir():
        f.unlink()
    (ui / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<title>Notifier</title>\n"
        f"<style>html, body {{ margin: 0; height: 100%; background: #{NOTIFIER_BG:06x}; }}"
        "</style>\n"
        '<script type="module" src="app.js"></script>\n</head>\n<body></body>\n</html>\n')
    (ui / "app.js").write_text(
        "let done = false;\n"
        "function ask() {\n"
        "\tif (done) return;\n"
        "\tif (window.weftIpc) {\n"
        "\t\twindow.weftIpc.onmessage = (m) => { if (m === 'ok') done = true; };\n"
        "\t\twindow.weftIpc.send('notify Saved');\n"
        "\t}\n"
        "\tsetTimeout(ask, 2000);\n"
        "}\n"
        "ask();\n")
    sign(dest)


def toast(frame, app_id):
    """A toast of app_id in the strip: a white card (its top edge, row 11,
    the longest white run of it) with the app's icon on it."""
    row = frame.crop((0, 11, WIDTH, 12))
    best, start = (0, 0), None
    for x in range(WIDTH + 1):
        white = x < WIDTH and row[x * 3:x * 3 + 3] == TOAST_BG.to_bytes(3, "big")
        if white and start is None:
            start = x
        elif not white and start is not None:
            best, start = max(best, (x - start, start)), None
    width, x0 = best
    return width > 200 and count(frame, id_colour(app_id), (x0, 0, x0 + width, 48),
                                 tolerance=3, step=1) > 100


@needs_probe
def test_notification_shows_as_a_toast(weft, steps):
    make_notifier(weft.user_store)
    panel_drawn(steps)
    assert not toast(Frame(weft), NOTIFIER)
    session = weft.launch(NOTIFIER)
    steps.shows("the notifier", lambda f: count(f, NOTIFIER_BG, BELOW) > 1000
                and in_taskbar(f, NOTIFIER) > 50)
    steps.shows("the toast", lambda f: toast(f, NOTIFIER))
    weft.ctl_json("terminate", session["id"], "--wait")


def no_app_pixels(frame, *app_ids):
    """Nothing of the counter nor the notifier, nor any app's icon. The
    counter's buttons have the lock screen's accent colour (both the kit's),
    so the counter is told by its page's white, which fills most of the area
    below the strip while it is on screen (the lock screen has only its
    password field in white)."""
    return (count(frame, COUNTER_PAGE, BELOW) < COUNTER_PAGE_MAX
            and count(frame, NOTIFIER_BG, SCREEN) == 0
            and all(count(frame, id_colour(a), SCREEN, tolerance=3) == 0 for a in app_ids))


@needs_probe
def test_lock_hides_every_app_and_unlocks(weft, steps):
    make_notifier(weft.user_store)
    panel_drawn(steps)
    sessions = [weft.launch(COUNTER), weft.launch(NOTIFIER)]
    steps.shows("both apps", lambda f: in_taskbar(f, COUNTER) > 0 and in_taskbar(f, NOTIFIER) > 0
                and (counter_shown(f) or count(f, NOTIFIER_BG, BELOW) > 1000))
    user_input(weft, "key", "Mod4", "l")
    steps.shows("the lock screen", lambda f: no_app_pixels(f, COUNTER, NOTIFIER)
                and f.pixel(WIDTH // 2, 5) == LOCK_BG and count(f, ACCENT, SCREEN) > 500)
    # A wrong password keeps it locked.
    user_input(weft, "type", "wrong\n")
    steps.shows("the refusal", lambda f: reddish(f, (0, HEIGHT // 2, WIDTH, HEIGHT)) > 40)
    assert no_app_pixels(Frame(weft), COUNTER, NOTIFIER)
    # The right one unlocks: the apps are back.
    user_input(weft, "type", "sesame\n")
    steps.shows("the apps again", lambda f: in_taskbar(f, COUNTER) > 0
                and (counter_shown(f) or count(f, NOTIFIER_BG, BELOW) > 1000))
    for s in sessions:
        assert weft.state(s["id"])["state"] == "running"
        weft.ctl_json("terminate", s["id"], "--wait")
