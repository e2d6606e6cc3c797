"""The control socket (appd/protocol.h): every request gets a reply,
malformed input an error and never a crash, and only our uid is served."""

import json
import os
import socket
import stat

import pytest

from appdutil import COUNTER, MSG_MAX, fake, fd_count, settled_fd_count, wait_until


@pytest.fixture
def appd(start):
    return start(compositor=False)


def error_code(reply):
    assert "error" in reply, reply
    return reply["error"]["code"]


@pytest.mark.parametrize("message, code", [
    (b"not json", "bad_request"),
    (b"[1, 2, 3]", "bad_request"),
    (b'{"type": "launch"', "bad_request"),
    (b'{"type": "info"} trailing', "bad_request"),
    (b'{"type": "in\x00fo"}', "bad_request"),
    (b'{"type": "\xff\xfe"}', "bad_request"),
    (b"null", "bad_request"),
    (b"{}", "bad_request"),
    (b'{"type": 42}', "bad_request"),
    (b'{"type": "teleport"}', "unknown_request"),
    (b'{"type": "launch"}', "invalid_argument"),
    (b'{"type": "launch", "app_id": 7}', "invalid_argument"),
    (b'{"type": "launch", "app_id": "Not An Id"}', "invalid_argument"),
    (b'{"type": "launch", "app_id": "../../etc"}', "invalid_argument"),
    (b'{"type": "launch", "app_id": "org.weft.missing"}', "not_installed"),
    (b'{"type": "terminate"}', "invalid_argument"),
    (b'{"type": "terminate", "session_id": "999"}', "not_found"),
    (b'{"type": "state", "session_id": ["1"]}', "invalid_argument"),
    (b'{"type": "state", "session_id": "x"}', "not_found"),
])
def test_bad_requests_get_errors(appd, message, code):
    assert error_code(appd.request(message)) == code
    # appd is still there, and serves the same connection too.
    assert appd.request({"type": "info"})["ok"] is True


def test_replies_echo_ids_in_order(appd):
    sock = appd.connect()
    for i in range(50):
        sock.send(json.dumps({"id": i, "type": "info" if i % 2 else "nonsense"}).encode())
    replies = [json.loads(sock.recv(MSG_MAX)) for _ in range(50)]
    assert [r["id"] for r in replies] == list(range(50))
    assert all(("ok" in r) == bool(i % 2) for i, r in enumerate(replies))
    sock.close()


def test_oversized_message_is_refused_and_the_peer_dropped(appd):
    sock = appd.connect()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * MSG_MAX)
    big = json.dumps({"type": "info", "pad": "x" * MSG_MAX}).encode()
    try:
        sock.send(big)
    except OSError as e:
        pytest.skip(f"cannot send {len(big)} bytes here: {e}")
    reply = json.loads(sock.recv(MSG_MAX))
    assert error_code(reply) == "too_large"
    assert sock.recv(MSG_MAX) == b""  # hung up
    assert appd.request({"type": "info"})["ok"] is True


def test_a_client_that_goes_away_mid_request_does_no_harm(appd):
    for _ in range(20):
        sock = appd.connect()
        sock.send(json.dumps({"type": "launch", "app_id": COUNTER}).encode())
        sock.close()
    sessions = appd.ctl_json("ps", "--all")
    assert len(sessions) == 20
    for s in sessions:
        appd.ctl("terminate", s["id"], "--wait")


def test_fds_sent_to_appd_are_not_kept(appd):
    before = settled_fd_count(appd.appd_pid, appd.socket)
    sock = appd.connect()
    r, w = os.pipe()
    socket.send_fds(sock, [json.dumps({"type": "info"}).encode()], [r, w])
    os.close(r)
    os.close(w)
    assert json.loads(sock.recv(MSG_MAX))["ok"] is True
    sock.close()
    wait_until("appd to hold only what it held", lambda: fd_count(appd.appd_pid) == before)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another uid")
def test_another_uid_is_refused(appd):
    def as_nobody(fn):
        """Runs fn() in a child with uid and gid 65534; returns what it wrote."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                result = fn()
            except Exception as e:  # noqa: BLE001 - reported to the parent
                result = f"{type(e).__name__}: {e}"
            os.write(w, json.dumps(result).encode())
            os._exit(0)
        os.close(w)
        data = b""
        while chunk := os.read(r, 65536):
            data += chunk
        os.close(r)
        os.waitpid(pid, 0)
        return json.loads(data)

    def connect_and_ask():
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sock.settimeout(5)
        sock.connect(str(appd.socket))
        # appd answers at once, before any request.
        first = sock.recv(MSG_MAX)
        second = sock.recv(MSG_MAX)
        return [json.loads(first) if first else None, second.decode()]

    # The socket and its directory are the user's alone.
    assert stat.S_IMODE(os.stat(appd.socket).st_mode) == 0o600
    assert "PermissionError" in as_nobody(connect_and_ask)

    # Even when the file system would let it in, appd checks the peer's uid.
    os.chmod(appd.run_dir, 0o755)
    os.chmod(appd.socket.parent, 0o755)
    os.chmod(appd.socket, 0o666)
    reply, after = as_nobody(connect_and_ask)
    assert reply["error"]["code"] == "permission_denied"
    assert "id" not in reply
    assert after == ""  # and hung up
    assert "uid 65534 is not ours" in appd.logs()
    assert appd.request({"type": "info"})["ok"] is True


def test_a_subscriber_that_does_not_read_is_dropped(start, tmp_path):
    weft, _ = fake(start, "exit:3", tmp_path)
    lazy = weft.connect()
    assert weft.request({"type": "subscribe"}, sock=lazy)["ok"] is True
    # Sessions that crash at once, each three events, none of them read.
    for _ in range(200):
        reply = weft.request({"type": "launch", "app_id": COUNTER})
        weft.wait_state(reply["session"]["id"], "crashed")
        if "disconnecting" in weft.logs():
            break
    assert "disconnecting" in weft.logs()
    assert weft.ctl_json("info")["subscribers"] == 0
    # What was queued arrives, then the hangup.
    lazy.settimeout(5)
    while (msg := lazy.recv(MSG_MAX)) != b"":
        assert json.loads(msg)["event"] == "state"
