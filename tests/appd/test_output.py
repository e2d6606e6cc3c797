"""What session processes print: appd relays it into its log
line by line, escaped, marked with the session and process it came from,
within a budget a second per session, so that an app can neither flood the
log, nor drive the terminal the log goes to, nor forge a line of appd's."""

import re
import time

import pytest

from appdutil import COUNTER, PROBE, Relay, fake, fake_log, make_probe_package, wait_until

# appd's budget of log a session's output may take a second (appd/output.c),
# and what a relayed line adds to it at most.
LOG_MAX = 32 * 1024
LINE_OVERHEAD = 200

# An escape sequence that sets the clipboard on terminals that honour it
# (OSC 52), one that sets the window title (OSC 0), clear-screen, a line that
# looks like appd's, a byte that is not UTF-8 and a C1 CSI, a line too long.
SAY = ("\x1b]52;c;aGVsbG8=\x07set the clipboard\n"
       "\x1b]0;a title\x07\x1b[2Jcleared the screen\n"
       "weft-appd: info: session 1 (org.weft.demo.counter): stopped: forged\n"
       "\udcff not utf-8 \u009b\n"
       + "y" * 5000 + "\n"
       "no newline at the end")

CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")


def log_bytes(weft):
    weft.logs()  # flushes
    return weft.log_path.read_bytes()


def test_output_is_escaped_and_marked_with_its_session(start, tmp_path):
    weft, log = fake(start, "say", tmp_path, env={"FAKE_RUNTIME_SAY": SAY,
                                                  "WEFT_STANDIN_SAY": "\x1b[31mred\n"})
    sid = weft.launch(COUNTER)["id"]
    wait_until("the fake runtime to speak", lambda: log.exists() and
               any("said" in e for e in fake_log(log)))
    prefix = f"weft-appd: info: session {sid} ({COUNTER}) runtime: "
    wait_until("the app-shell to speak", lambda: "[31mred" in weft.logs())
    weft.ctl("terminate", sid, "--wait")
    # The last line, without its newline, comes once the runtime is gone.
    text = wait_until("the runtime's output in appd's log",
                      lambda: "no newline at the end" in (t := weft.logs()) and t)
    raw = log_bytes(weft)
    assert not CONTROL.search(raw), [l for l in raw.splitlines() if CONTROL.search(l)]
    lines = text.splitlines()
    assert prefix + "\\x1b]52;c;aGVsbG8=\\x07set the clipboard" in lines
    assert prefix + "\\x1b]0;a title\\x07\\x1b[2Jcleared the screen" in lines
    assert prefix + "weft-appd: info: session 1 (org.weft.demo.counter): stopped: forged" \
        in lines
    assert prefix + "\\xff not utf-8 \\xc2\\x9b" in lines
    assert prefix + "no newline at the end" in lines
    # Every line of the app's is marked as the app's: none of them reads as appd's own.
    for line in lines:
        if "forged" in line or "set the clipboard" in line:
            assert line.startswith(prefix), line
    # The app-shell's output is marked as the app-shell's.
    assert f"weft-appd: info: session {sid} ({COUNTER}) app-shell: \\x1b[31mred" in lines
    cut = [l for l in lines if l.startswith(prefix + "yyy")]
    assert len(cut) == 1 and cut[0].endswith(" [cut]") and len(cut[0]) < 2048, cut


def test_a_flood_of_output_is_capped(start, tmp_path):
    weft, log = fake(start, "flood:3", tmp_path)
    before = len(log_bytes(weft))
    sid = weft.launch(COUNTER)["id"]
    # appd answers all along.
    while not (log.exists() and any("flooded" in e for e in fake_log(log))):
        assert weft.ctl_json("state", sid)["state"] == "running"
    flood = next(e for e in fake_log(log) if "flooded" in e)
    weft.ctl("terminate", sid, "--wait")
    grown = len(log_bytes(weft)) - before
    # A second's budget for each second the flood took, one more for the
    # second it ended in, one more for the drain at the end, and appd's own
    # lines about the session.
    seconds = int(flood["seconds"]) + 3
    allowed = seconds * (LOG_MAX + LINE_OVERHEAD) + 4096
    assert grown <= allowed, (grown, allowed, flood)
    # It was a flood: far more than that was written.
    assert flood["flooded"] > 4 * allowed, flood
    text = wait_until("the suppressed output to be counted",
                      lambda: "bytes of output suppressed" in (t := weft.logs()) and t)
    prefix = f"weft-appd: info: session {sid} ({COUNTER}) "
    relayed = [l for l in text.splitlines() if l.startswith(prefix)]
    assert relayed and all(l.endswith("flood " + "x" * 100) for l in relayed)
    assert re.search(rf"weft-appd: warning: session {sid} \({re.escape(COUNTER)}\): "
                     r"\d+ bytes of output suppressed \(over 32768 bytes a second\)", text)


@pytest.mark.skipif(not PROBE.exists(), reason="the probe guest is not built")
def test_a_guests_escapes_reach_the_log_escaped(start, tmp_path):
    # Every part real: the compositor starts appd, whose log is the
    # compositor's, as make run shows it in a terminal.
    relay = Relay(tmp_path)
    try:
        weft = start(env={"WEFT_STANDIN_RELAY": relay.path})
        make_probe_package(weft.user_store, "org.weft.test.printer")
        sid = weft.launch("org.weft.test.printer")["id"]
        assert relay.ask("say \x1b]52;c;aGVsbG8=\x07\x1b]0;title\x07\x1b[2Jhello") == "ok"
        assert relay.ask("say weft-appd: info: forged") == "ok"
        prefix = f"weft-appd: info: session {sid} (org.weft.test.printer) runtime: "
        text = wait_until("the guest's lines in the log",
                          lambda: prefix + "weft-appd: info: forged" in (t := weft.logs()) and t)
        assert prefix + "\\x1b]52;c;aGVsbG8=\\x07\\x1b]0;title\\x07\\x1b[2Jhello" \
            in text.splitlines()
        assert not CONTROL.search(log_bytes(weft))
        assert not [l for l in text.splitlines() if l.startswith("weft-appd: info: forged")]
    finally:
        relay.close()


@pytest.mark.skipif(not PROBE.exists(), reason="the probe guest is not built")
def test_a_guest_flooding_its_stderr_is_capped(start, tmp_path):
    relay = Relay(tmp_path)
    try:
        weft = start(env={"WEFT_STANDIN_RELAY": relay.path})
        make_probe_package(weft.user_store, "org.weft.test.flood")
        sid = weft.launch("org.weft.test.flood")["id"]
        before = len(log_bytes(weft))
        started = time.monotonic()
        assert relay.ask("flood 32", timeout=60) == "ok"
        weft.ctl("terminate", sid, "--wait")
        seconds = int(time.monotonic() - started) + 3
        grown = len(log_bytes(weft)) - before
        assert grown <= seconds * (LOG_MAX + LINE_OVERHEAD) + 4096, grown
        # The runtime passes on 64 KiB a second, more than appd's budget.
        assert re.search(rf"weft-appd: warning: session {sid} \(org.weft.test.flood\): "
                         r"\d+ bytes of output suppressed", weft.logs())
    finally:
        relay.close()
