"""WEFT as a person meets it: started the way `make run` starts it
(scripts/run-weft, headless), then used with the compositor's virtual
keyboard and pointer only, the way a person would: open the launcher, type,
start the counter, count, start notes, write and save a note and see its
"Saved" notification, switch back to the counter with Alt+Tab and count by
keyboard, bring notes back from the taskbar with a click, lock, and unlock
with the password.

Each step waits for what the screen shows (grim; the colours of
shell/ui/system-ui.css and the kit, as test_system_ui_servo.py reads them)
and for what appd says, and keeps a numbered screenshot in
BUILD/screenshots/walk-through/ (printed, and named in the lane's summary)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from appdutil import BUILD, COUNTER, NOTES, wait_until
from test_apps import HEIGHT, WIDTH, Frame, buttons, settled, user_input
from test_shell_servo import SHELL, pam_dir  # noqa: F401 (pam_dir: a fixture)
from test_system_ui_servo import ACCENT, BELOW, COUNTER_PAGE, GRID, LOCK_BG, SCREEN, SEARCH, \
    SELECTED_BG, TOAST_BG, Steps, count, counter_shown, id_colour, in_taskbar, near, \
    no_app_pixels, panel_drawn, toast

# scripts/run-weft as the run lane runs it.
sys.path.append(str(Path(__file__).resolve().parents[1] / "run"))
from runweft import RunWeft  # noqa: E402

SHOTS = BUILD / "screenshots" / "walk-through"
NOTE = "Milk, eggs, WEFT"
FOCUS_RING = (11, HEIGHT // 2)  # Servo's black ring round the notes text area

pytestmark = pytest.mark.skipif(not SHELL.exists(), reason=f"no {SHELL} (webview disabled)")


class Walk(Steps):
    """Steps whose screenshots are kept in SHOTS; a step that does not come
    leaves the screen as it was at the deadline, named FAILED."""

    def shows(self, what, test, timeout=90):
        try:
            return super().shows(what, test, timeout)
        except AssertionError:
            subprocess.run(["grim", "-t", "png", str(self.dir / f"{self.n + 1:02d}-FAILED-"
                                                     f"{what.replace(' ', '-')}.png")],
                           env=self.weft.display_env(), timeout=30)
            raise


@pytest.fixture
def weft(tmp_path, pam_dir):  # noqa: F811
    """make run, headless: the test PAM service (the password "sesame")
    stands in for the person's login password."""
    run = RunWeft(tmp_path, "--backend", "headless",
                  extra_env={"WEFT_SHELL_PAM_CONFDIR": str(pam_dir)})
    try:
        run.wait_up()
        yield run
    finally:
        status = run.stop()
        run.cleanup()
        # Beside the screenshots: what WEFT said, for a failed walk.
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "run-weft.log").write_text(run.logs())
    assert status == 0, run.logs()


def sessions(weft, app_id):
    """The app's running sessions, as appd lists them (weftctl)."""
    return [s for s in json.loads(weft.user("weftctl --json ps").stdout)
            if s["app_id"] == app_id and s["state"] == "running"]


def launch_from_launcher(weft, steps, app_id, typed, name):
    """Super, what a person types, Enter: the app's one session and its window."""
    user_input(weft, "key", "Super_L")
    user_input(weft, "type", typed)
    steps.shows(f"the launcher found {name}", lambda f: f.pixel(*SEARCH) == TOAST_BG
                and count(f, SELECTED_BG, GRID) > 1000
                and count(f, id_colour(app_id), GRID, tolerance=3) > 300)
    assert sessions(weft, app_id) == []
    user_input(weft, "key", "Return")
    found = wait_until(f"a {name} session running", lambda: sessions(weft, app_id),
                       timeout=90, interval=0.2)
    assert len(found) == 1
    return found[0]


def taskbar_entry(frame, app_id):
    """Where a person clicks the app's entry in the panel's task list: its
    icon, the leftmost pixels of the app's colour in the strip (a toast's
    icon is right of the task list)."""
    xs = [x for x in range(WIDTH // 2) for y in range(8, 40, 2)
          if near(frame.pixel(x, y), id_colour(app_id))]
    return (min(xs) + 8, 24) if xs else None


def notes_in_front(frame):
    """Notes' page, not the counter's: white, with no kit button in the
    accent fill on it (notes' Save has that fill only while there is
    something to save; greyed out otherwise)."""
    return not counter_shown(frame) and count(frame, COUNTER_PAGE, BELOW) > 100000


def number_box(frame):
    """The counter's number: between the panel's strip and its buttons (a
    region of the screen: compared as it was when first found)."""
    top = buttons(frame)[0]
    return (0, 48, WIDTH, top - 8)


def test_walk_through(weft, capsys):
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.parent.mkdir(parents=True, exist_ok=True)
    steps = Walk(weft, SHOTS)
    with capsys.disabled():
        print(f"\nwalk-through screenshots: {SHOTS}", flush=True)

    # make run shows the shell: its panel, and no app yet.
    panel_drawn(steps)
    assert sessions(weft, COUNTER) == [] and sessions(weft, NOTES) == []

    # The launcher: Super, "cou", Enter starts the counter.
    counter = launch_from_launcher(weft, steps, COUNTER, "cou", "the counter")
    # Its number, black above its buttons, once the component answered.
    frame = steps.shows("the counter", lambda f: counter_shown(f) and in_taskbar(f, COUNTER) > 50
                        and f.has(0x000000, number_box(f)))

    # Count with the pointer, on the counter's + (the last of its buttons).
    box = number_box(frame)
    before = settled(weft, box)
    plus = buttons(Frame(weft))[1][-1]
    numbers = [before]
    for _ in range(2):
        user_input(weft, "click", str(plus[0]), str(plus[1]))
        numbers.append(settled(weft, box, unlike=numbers[-1]))
    assert len(set(numbers)) == 3
    steps.shows("counted to two", lambda f: f.crop(box) == numbers[-1])

    # The launcher again: "not", Enter starts notes, which takes typing at once.
    notes = launch_from_launcher(weft, steps, NOTES, "not", "notes")
    steps.shows("notes", lambda f: notes_in_front(f) and f.pixel(*FOCUS_RING) == 0x000000
                and in_taskbar(f, NOTES) > 50 and in_taskbar(f, COUNTER) > 50)
    assert not toast(Frame(weft), NOTES)

    # A note, saved with Ctrl+S: on disk, and the "Saved" toast on screen.
    user_input(weft, "type", NOTE)
    user_input(weft, "key", "Control", "s")
    saved = weft.home / ".local" / "share" / "weft" / "data" / NOTES / "notes.txt"
    wait_until("the note saved", lambda: saved.exists() and saved.read_text() == NOTE,
               timeout=30)
    steps.shows("the saved toast", lambda f: toast(f, NOTES))

    # Alt+Tab: the counter in front again, with the keyboard: + counts.
    user_input(weft, "key", "Alt", "Tab")
    steps.shows("the counter again", lambda f: counter_shown(f)
                and f.pixel(*FOCUS_RING) != 0x000000 and f.crop(box) == numbers[-1])
    user_input(weft, "type", "+")
    three = settled(weft, box, unlike=numbers[-1])
    assert three not in numbers
    steps.shows("counted to three by keyboard", lambda f: f.crop(box) == three)

    # A click on notes' entry in the task list brings it to the front.
    x, y = wait_until("notes' entry in the task list",
                      lambda: taskbar_entry(Frame(weft), NOTES), timeout=90)
    user_input(weft, "click", str(x), str(y))
    steps.shows("notes from the taskbar", notes_in_front)

    # Super+L: nothing of either app on screen.
    user_input(weft, "key", "Mod4", "l")
    steps.shows("the lock screen", lambda f: no_app_pixels(f, COUNTER, NOTES)
                and f.pixel(WIDTH // 2, 5) == LOCK_BG and count(f, ACCENT, SCREEN) > 500)

    # The password unlocks: both apps are back, notes in front with its note.
    user_input(weft, "type", "sesame\n")
    steps.shows("unlocked", lambda f: in_taskbar(f, COUNTER) > 50 and in_taskbar(f, NOTES) > 50
                and notes_in_front(f))
    assert saved.read_text() == NOTE
    assert [s["id"] for s in sessions(weft, COUNTER)] == [counter["id"]]
    assert [s["id"] for s in sessions(weft, NOTES)] == [notes["id"]]
    # The shell lived through it all (the compositor restarts a dead one,
    # which a person sees as the panel gone for a moment).
    assert "shell: restarting" not in weft.logs(), weft.logs()
    shots = sorted(p.name for p in SHOTS.iterdir())
    assert len(shots) == steps.n == 12 and not any('FAILED' in s for s in shots), shots
