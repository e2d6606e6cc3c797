"""weft:app/clipboard end to end: an app's component (the runtime's probe
guest) asks through the real runtime, appd and compositor; the stand-in
app-shell relays the test's messages to it as the page would. Ordinary
Wayland clients (wl-clipboard) share the same clipboard. Then appd's part
alone, with the test playing the compositor."""

import json
import shutil
import subprocess

import pytest

from appdutil import FAKE_RUNTIME, PROBE, FakeCompositor, Relay, fake_log, make_package, \
    make_probe_package, wait_until

TEXT = "h\u00e9llo, w\u00f6rld \u2713 \U0001F600 \"quoted\" \\ tab\there"

needs_probe = pytest.mark.skipif(not PROBE.exists(), reason="the probe guest is not built")


@pytest.fixture
def clip(start, tmp_path):
    """start_app(capabilities) -> (weft, relay): the probe guest running as
    an app with those capabilities, its page played by the test."""
    relays = []

    def start_app(capabilities, app_id="org.weft.test.clip"):
        relay = Relay(tmp_path)
        relays.append(relay)
        weft = start(env={"WEFT_STANDIN_RELAY": relay.path})
        make_probe_package(weft.user_store, app_id, capabilities)
        weft.launch(app_id)
        return weft, relay

    yield start_app
    for relay in relays:
        relay.close()


@needs_probe
def test_what_an_app_writes_it_reads_back(clip):
    weft, relay = clip(["sys:clipboard:read", "sys:clipboard:write"])
    assert relay.ask("clip-read") == "err the clipboard is empty"
    assert relay.ask("clip-write " + TEXT) == "ok"
    assert relay.ask("clip-read") == "ok " + TEXT
    assert relay.ask("clip-write second") == "ok"
    assert relay.ask("clip-read") == "ok second"


@needs_probe
def test_without_the_capability_nothing_reaches_the_clipboard(clip):
    weft, relay = clip(["sys:clipboard:write"])
    assert relay.ask("clip-write mine") == "ok"
    assert relay.ask("clip-read") == "err capability not granted: sys:clipboard:read"


@needs_probe
def test_without_write_the_clipboard_stays_as_it_was(clip):
    weft, relay = clip(["sys:clipboard:read"])
    assert relay.ask("clip-write mine") == "err capability not granted: sys:clipboard:write"
    assert relay.ask("clip-read") == "err the clipboard is empty"


@needs_probe
@pytest.mark.skipif(shutil.which("wl-paste") is None, reason="wl-clipboard not installed")
def test_ordinary_clients_share_the_apps_clipboard(clip):
    weft, relay = clip(["sys:clipboard:read", "sys:clipboard:write"])
    env = weft.display_env()
    assert relay.ask("clip-write " + TEXT) == "ok"
    pasted = subprocess.run(["wl-paste", "--no-newline"], env=env, capture_output=True,
                            timeout=10)
    assert pasted.returncode == 0, pasted.stderr
    assert pasted.stdout.decode() == TEXT

    copier = subprocess.Popen(["wl-copy", "--foreground", "from wl-copy \u2713"], env=env)
    try:
        wait_until("the app to read what wl-copy copied",
                   lambda: relay.ask("clip-read") == "ok from wl-copy \u2713", timeout=10)
    finally:
        copier.terminate()
        copier.wait(timeout=10)


# ---- appd between the runtime and a compositor played by the test ----

@pytest.fixture
def fake_clipboard(start, tmp_path):
    """appd with a fake compositor and a fake runtime in mode; the compositor
    has handed out the session's Wayland connection."""
    def _start(mode, capabilities=("sys:clipboard:read", "sys:clipboard:write")):
        comp = FakeCompositor()
        log = tmp_path / "fake-runtime.log"
        weft = start(compositor=False, compositor_fd=comp.appd_end.fileno(),
                     runtime=FAKE_RUNTIME, env={"FAKE_RUNTIME": mode,
                                                "FAKE_RUNTIME_LOG": str(log)})
        comp.appd_end.close()
        make_package(weft.user_store, "org.weft.test.clip", capabilities)
        sid = weft.launch("org.weft.test.clip", wait=False)["id"]
        comp.reply(comp.expect("create_client"))
        comps.append(comp)
        return weft, comp, log, sid

    comps = []
    yield _start
    for comp in comps:
        for c in comp.clients:
            c.close()


def replies(log):
    entries = wait_until("every reply",
                         lambda: log.exists() and (e := fake_log(log)) and "done" in e[-1] and e,
                         timeout=15)
    return {r["reply"].get("id"): r["reply"] for r in entries if "reply" in r}


def test_appd_passes_requests_and_answers_through(fake_clipboard):
    weft, comp, log, _ = fake_clipboard("clipboard")
    write = comp.expect("clipboard_write")
    assert write["text"] == "h\u00e9llo \u2713"
    comp.sock.send(json.dumps({"id": write["id"], "ok": True}).encode())
    read = comp.expect("clipboard_read")
    comp.sock.send(json.dumps({"id": read["id"], "ok": True, "text": "back \u2713"}).encode())
    late = comp.expect("clipboard_read")  # never answered in time
    write = comp.expect("clipboard_write")
    assert write["text"] == "refused"
    comp.sock.send(json.dumps({"id": write["id"], "error": {
        "code": "not_utf8", "message": "the text is not UTF-8"}}).encode())
    # A runtime that still spells them clipboard-write and clipboard-read is
    # understood; the compositor hears the one spelling.
    write = comp.expect("clipboard_write")
    assert write["text"] == "old"
    comp.sock.send(json.dumps({"id": write["id"], "ok": True}).encode())
    read = comp.expect("clipboard_read")
    comp.sock.send(json.dumps({"id": read["id"], "ok": True, "text": "old too"}).encode())
    got = replies(log)
    assert got[1] == {"id": 1, "ok": True}
    assert got[2] == {"id": 2, "ok": True, "text": "back \u2713"}
    assert got[3]["error"]["code"] == "timeout"
    assert got[4]["error"]["code"] == "invalid_argument"  # no text: not passed on
    assert got[5]["error"] == {"code": "not_utf8", "message": "the text is not UTF-8"}
    assert got[6] == {"id": 6, "ok": True}
    assert got[7] == {"id": 7, "ok": True, "text": "old too"}
    # The answer that came too late goes nowhere.
    comp.sock.send(json.dumps({"id": late["id"], "ok": True, "text": "late"}).encode())
    assert weft.ctl_json("info")["pid"] == weft.appd_pid


def test_a_runtime_that_floods_is_told_to_wait(fake_clipboard):
    weft, comp, log, _ = fake_clipboard("clipboard-burst")
    reads = [comp.expect("clipboard_read") for _ in range(4)]
    # The fifth is refused while the four are open: answer them only once
    # appd has replied to it, or an answer may free a place first.
    wait_until("the reply to the fifth read",
               lambda: log.exists() and any(e.get("reply", {}).get("id") == 14
                                            for e in fake_log(log)),
               timeout=15)
    for r in reads:
        comp.sock.send(json.dumps({"id": r["id"], "ok": True, "text": "x"}).encode())
    got = replies(log)
    assert got[14]["error"]["code"] == "busy"
    assert [got[i]["text"] for i in range(10, 14)] == ["x"] * 4


def test_an_answer_for_an_ended_session_is_dropped(fake_clipboard):
    weft, comp, log, sid = fake_clipboard("clipboard")
    write = comp.expect("clipboard_write")
    weft.ctl("terminate", sid, "--wait")
    comp.sock.send(json.dumps({"id": write["id"], "ok": True}).encode())
    assert weft.ctl_json("info")["pid"] == weft.appd_pid
    assert "reply" not in "".join(log.read_text().splitlines()[1:])


def test_no_compositor_no_clipboard(start, tmp_path):
    log = tmp_path / "fake-runtime.log"
    weft = start(compositor=False, runtime=FAKE_RUNTIME,
                 env={"FAKE_RUNTIME": "clipboard", "FAKE_RUNTIME_LOG": str(log)})
    make_package(weft.user_store, "org.weft.test.clip",
                 ["sys:clipboard:read", "sys:clipboard:write"])
    weft.launch("org.weft.test.clip", wait=False)
    got = replies(log)
    assert got[1]["error"] == {"code": "unavailable",
                               "message": "no compositor holds a clipboard"}
    assert got[2]["error"]["code"] == "unavailable"
