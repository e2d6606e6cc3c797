"""The demo apps end to end, every part real: the headless compositor starts
appd, appd starts the runtime on the signed demo package and weft-app-shell,
which renders the app's UI with Servo. Input comes through the compositor's
virtual pointer and keyboard, results are read back from the screen."""

import subprocess

from appdutil import COUNTER, NOTES, alive, wait_until
from conftest import TEST_INPUT

WIDTH, HEIGHT = 1280, 720
# The counter's buttons: the UI kit's weft-button fill (--weft-accent, light).
BUTTON_FILL = 0x1F5FBF


class Frame:
    """One screenshot (grim, PPM): pixels as 0xRRGGBB, regions as bytes."""

    def __init__(self, weft):
        data = subprocess.run(["grim", "-t", "ppm", "-"], env=weft.display_env(),
                              capture_output=True, check=True, timeout=30).stdout
        magic, size, depth, self.rgb = data.split(b"\n", 3)
        assert magic == b"P6" and depth == b"255"
        assert tuple(map(int, size.split())) == (WIDTH, HEIGHT)

    def pixel(self, x, y):
        i = (y * WIDTH + x) * 3
        return int.from_bytes(self.rgb[i:i + 3], "big")

    def crop(self, box):
        x0, y0, x1, y1 = box
        return b"".join(self.rgb[(y * WIDTH + x0) * 3:(y * WIDTH + x1) * 3]
                        for y in range(y0, y1))

    def has(self, rgb, box):
        x0, y0, x1, y1 = box
        needle = rgb.to_bytes(3, "big")
        for y in range(y0, y1):
            row = self.rgb[(y * WIDTH + x0) * 3:(y * WIDTH + x1) * 3]
            i = row.find(needle)
            while i >= 0:
                if i % 3 == 0:
                    return True
                i = row.find(needle, i + 1)
        return False


def user_input(weft, *args):
    subprocess.run([str(TEST_INPUT), *args], env=weft.display_env(), check=True, timeout=30)


def settled(weft, box, unlike=None, timeout=30):
    """The pixels of box once they differ from unlike and hold still over two
    screenshots (Servo repaints after the component answered)."""
    last = None

    def step():
        nonlocal last
        now = Frame(weft).crop(box)
        done = now == last and now != unlike
        last = now
        return done and now
    return wait_until("the screen to settle", step, timeout=timeout, interval=0.15)


def wait_blurred(weft):
    """Until the notes text area has lost the keyboard focus on screen: its
    focus ring (black at x=11) gone. Two equal screenshots alone could both
    still show the focused area, caret and all, before the click's repaint."""
    wait_until("the text area to lose the keyboard focus",
               lambda: Frame(weft).pixel(11, HEIGHT // 2) != 0x000000, timeout=60, interval=0.1)


def filled_in_row(frame, y):
    row = frame.rgb[y * WIDTH * 3:(y + 1) * WIDTH * 3]
    return [x for x in range(WIDTH) if row[x * 3:x * 3 + 3] == BUTTON_FILL.to_bytes(3, "big")]


def buttons(frame):
    """(top, runs): the top row of the counter's buttons (−, Reset, +), found
    by their fill colour, and the centres of the filled runs of the row through
    their middle: the white glyphs split a button into runs, so the first run is in −
    and the last in +. None while there are no buttons on screen."""
    rows = [y for y in range(HEIGHT) if len(filled_in_row(frame, y)) >= 100]
    if not rows:
        return None
    y = (rows[0] + rows[-1]) // 2
    runs, start = [], None
    for x in range(WIDTH + 1):
        filled = x < WIDTH and frame.pixel(x, y) == BUTTON_FILL
        if filled and start is None:
            start = x
        elif not filled and start is not None:
            runs.append(((start + x) // 2, y))
            start = None
    return rows[0], runs


def test_counter_counts_to_two(weft):
    session = weft.launch(COUNTER)
    assert session["state"] == "running"
    count_to_two(weft)

    done = weft.ctl_json("terminate", session["id"], "--wait")
    assert done["state"] == "stopped"
    assert not alive(session["runtime_pid"]) and not alive(session["app_shell_pid"])


def count_to_two(weft):
    """Clicks the running counter's + three times and - once, and checks
    the screen showed 0, 1, 2, 3 and then 2 again."""
    # Park the pointer where it covers nothing that is compared.
    user_input(weft, "click", "5", str(HEIGHT - 5))

    # The count is on screen once the component answered the page's "get":
    # a bold black number above the buttons.
    def ready():
        frame = Frame(weft)
        found = buttons(frame)
        return found and frame.has(0x000000, (0, 0, WIDTH, found[0] - 8)) and found
    top, runs = wait_until("the counter's number", ready, timeout=60, interval=0.2)
    assert len(runs) >= 3, runs
    minus, plus = runs[0], runs[-1]
    count_box = (0, 0, WIDTH, top - 8)

    shots = [settled(weft, count_box)]
    for _ in range(3):
        user_input(weft, "click", str(plus[0]), str(plus[1]))
        shots.append(settled(weft, count_box, unlike=shots[-1]))
    user_input(weft, "click", str(minus[0]), str(minus[1]))
    two = settled(weft, count_box, unlike=shots[-1])

    # 0, 1, 2, 3 all look different, and 3 - 1 looks exactly like 0 + 2.
    assert len(set(shots)) == 4
    assert two == shots[2]


def test_notes_takes_typing_without_a_click(weft):
    """The text area has the keyboard focus once the note is loaded: a
    person types into a new notes window without reaching for the mouse."""
    text = "typed at once"
    session = weft.launch(NOTES)
    # Servo draws a black focus ring just outside the text area's grey border.
    wait_until("the text area to have the keyboard focus",
               lambda: Frame(weft).pixel(11, HEIGHT // 2) == 0x000000, timeout=60, interval=0.2)
    user_input(weft, "type", text)
    user_input(weft, "key", "Control", "s")
    saved = weft.data_home / "weft" / "data" / NOTES / "notes.txt"
    wait_until("notes.txt to hold what was typed",
               lambda: saved.exists() and saved.read_bytes() == text.encode(), timeout=30)
    weft.ctl_json("terminate", session["id"], "--wait")


def test_notes_text_survives_a_new_session(weft):
    text = 'Hello WEFT 42\nsecond "line" \\ end'
    session = weft.launch(NOTES)
    # The page enables the text area once the component answered "load".
    area = (24, 24, WIDTH - 24, HEIGHT - 80)
    empty = settled(weft, area)
    user_input(weft, "click", str(WIDTH // 2), str(HEIGHT // 3))
    user_input(weft, "type", text)
    user_input(weft, "key", "Control", "s")

    # The component wrote it to its data directory, byte for byte.
    saved = weft.data_home / "weft" / "data" / NOTES / "notes.txt"
    wait_until("notes.txt to be saved",
               lambda: saved.exists() and saved.read_bytes() == text.encode(), timeout=30)
    # Out of the text area, so that its focus ring and caret do not count.
    user_input(weft, "click", str(WIDTH // 2), str(HEIGHT - 25))
    wait_blurred(weft)
    before = settled(weft, area, unlike=empty)

    done = weft.ctl_json("terminate", session["id"], "--wait")
    assert done["state"] == "stopped"
    assert not alive(session["runtime_pid"]) and not alive(session["app_shell_pid"])

    again = weft.launch(NOTES)
    assert again["id"] != session["id"]
    # The new window focuses its text area; take the focus out again.
    wait_until("the text area to have the keyboard focus",
               lambda: Frame(weft).pixel(11, HEIGHT // 2) == 0x000000, timeout=60, interval=0.2)
    user_input(weft, "click", str(WIDTH // 2), str(HEIGHT - 25))
    wait_blurred(weft)
    assert settled(weft, area, unlike=empty) == before
    weft.ctl_json("terminate", again["id"], "--wait")
