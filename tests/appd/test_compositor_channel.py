"""appd's side of the compositor control channel (compositor/control.c), with
the test playing the compositor: Wayland connections asked for and refused,
first frames, closed windows, vanished clients, and the compositor going
away."""

import json

import pytest

from appdutil import COUNTER, FakeCompositor, alive, wait_until


@pytest.fixture
def fake(start):
    comp = FakeCompositor()
    weft = start(compositor=False, compositor_fd=comp.appd_end.fileno(),
                 appd_args=["--ready-timeout", "2000", "--grace", "300"])
    comp.appd_end.close()
    assert weft.ctl_json("info")["compositor"] is True
    yield comp, weft
    for c in comp.clients:
        c.close()


def test_running_on_first_frame_and_stopped_when_the_window_closes(fake):
    comp, weft = fake
    sid = weft.launch(wait=False)["id"]
    req = comp.expect("create_client")
    assert (req["app_id"], req["session_id"]) == (COUNTER, sid)
    comp.reply(req)
    shell = wait_until("the app-shell", lambda: weft.state(sid).get("app_shell_pid"))
    assert weft.state(sid)["state"] == "starting"
    comp.event("first_frame", "no-such-session")
    comp.event("first_frame", sid)
    weft.wait_state(sid, "running")
    comp.event("window_closed", sid)
    assert comp.expect("close_session")["session_id"] == sid
    ended = weft.wait_state(sid, "stopped", "crashed")
    assert (ended["state"], ended["reason"]) == ("stopped", "window closed")
    assert not alive(shell)


def test_a_refused_wayland_connection_ends_the_session(fake):
    comp, weft = fake
    sid = weft.launch(wait=False)["id"]
    comp.reply(comp.expect("create_client"), ok=False)
    ended = weft.wait_state(sid, "crashed")
    assert ended["reason"] == "the compositor gave no Wayland connection: no way"
    assert "app_shell_pid" not in ended
    comp.reply({"id": 999}, with_fd=True)  # a stray answer: its fd is dropped


def test_no_wayland_connection_in_time(fake):
    comp, weft = fake
    sid = weft.launch(wait=False)["id"]
    comp.expect("create_client")  # and never answer
    ended = weft.wait_state(sid, "crashed", timeout=10)
    assert ended["reason"] == "no Wayland connection from the compositor within 2000 ms"


def test_a_vanished_client_ends_the_session(fake):
    comp, weft = fake
    sid = weft.launch(wait=False)["id"]
    comp.reply(comp.expect("create_client"))
    wait_until("the app-shell", lambda: weft.state(sid).get("app_shell_pid"))
    comp.event("first_frame", sid)
    weft.wait_state(sid, "running")
    # The stand-in, stuck in its first round trip, does not exit by itself.
    comp.event("client_gone", sid)
    ended = weft.wait_state(sid, "stopped", "crashed", timeout=10)
    assert ended["reason"] == "the app-shell closed its Wayland connection"


def test_garbage_from_the_compositor_is_ignored(fake):
    comp, weft = fake
    comp.sock.send(b"not json")
    comp.sock.send(b'{"event": 42}')
    comp.sock.send(b'{"id": "x"}')
    assert weft.ctl_json("info")["pid"] == weft.appd_pid


def test_appd_stops_when_the_compositor_goes(fake):
    comp, weft = fake
    sid = weft.launch(wait=False)["id"]
    comp.reply(comp.expect("create_client"))
    shell = wait_until("the app-shell", lambda: weft.state(sid).get("app_shell_pid"))
    comp.sock.close()
    assert weft.proc.wait(timeout=10) == 0
    assert not alive(shell)
    assert "the control channel closed" in weft.logs()
