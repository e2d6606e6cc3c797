"""The control socket (weft/appd-protocol.h): every request gets a reply,
malformed input an error and never a crash, and only our uid is served."""

import json
import os
import select
import signal
import socket
import stat
import subprocess

import pytest

from appdutil import COUNTER, MSG_MAX, WEFTCTL, alive, fake, fake_log, fd_count, \
    make_package, settled_fd_count, sign, wait_until

# appd/control.c and weft/appd-protocol.h
MAX_CLIENTS = 64
MAX_SUBSCRIBERS = 32
ID_MAX = 1024


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
    # A NUL would cut the string short in C: refused, not taken as what
    # comes before it.
    (b'{"type": "launch", "app_id": "org.weft.demo.counter\\u0000x"}', "invalid_argument"),
    (b'{"type": "state", "session_id": "1\\u0000x"}', "invalid_argument"),
    (b'{"type": "info\\u0000x"}', "bad_request"),
    (b'{"type": "apps", "after": "a\\u0000"}', "invalid_argument"),
    (b'{"type": "apps", "limit": 0}', "invalid_argument"),
    (b'{"type": "apps", "limit": "2"}', "invalid_argument"),
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
    # The launches go on once their packages are checked.
    sessions = wait_until("20 sessions", lambda: len(s := appd.ctl_json("ps", "--all")) == 20
                          and s, timeout=60)
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
    """Once its socket is full and 64 KiB more wait for it."""
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


def test_a_busy_subscriber_loses_no_state_and_stays(start, tmp_path):
    """A subscriber that reads nothing for a while (the shell while its page
    lays out) gets every state event, in order, when it reads again, and
    keeps its connection. Notifications are no state: one that finds no room
    is not kept, so an app's burst of them neither cuts the shell off nor
    grows appd, and the app hears that the system UI is busy."""
    app = "org.weft.test.notify"
    weft, log = fake(start, "notify-burst:1500", tmp_path)
    make_package(weft.user_store, app, capabilities=["sys:notifications"])
    busy = weft.connect()
    assert weft.request({"type": "subscribe"}, sock=busy)["ok"] is True
    session = weft.launch(app)
    burst = wait_until("the burst to end", lambda: next(
        (e for e in fake_log(log) if "burst" in e), None), timeout=60)
    # Its socket took what it holds; the rest found no room.
    assert burst["burst"]["ok"] > 10, burst
    assert burst["burst"]["unavailable"] > 0, burst
    assert burst["messages"] == ["the system UI is busy: try again later"], burst
    assert sum(burst["burst"].values()) == 1500
    # States now, behind a full socket: they wait in appd for it.
    assert weft.ctl_json("terminate", session["id"], "--wait")["state"] == "stopped"
    assert "reads nothing" not in weft.logs()
    busy.settimeout(10)
    seen = []
    while not seen or seen[-1] != "stopped":
        msg = json.loads(busy.recv(MSG_MAX))
        if msg["event"] == "notification":
            seen.append("note")
        elif msg["event"] == "state" and msg["session"]["id"] == session["id"]:
            seen.append(msg["session"]["state"])
    assert seen.count("note") == burst["burst"]["ok"]
    # In order: the notifications it took, then the states that waited.
    assert seen[-2:] == ["stopping", "stopped"], seen[-5:]
    assert seen[-3] == "note", seen[-5:]
    assert weft.request({"type": "info"}, sock=busy)["subscribers"] == 1


def test_an_app_id_with_a_nul_is_refused(appd):
    reply = appd.request(b'{"type": "launch", "app_id": "org.weft.demo.counter\\u0000evil"}')
    assert error_code(reply) == "invalid_argument"
    assert "app_id holds a NUL character" in reply["error"]["message"]
    assert appd.ctl_json("ps", "--all") == []


def test_a_null_id_is_echoed(appd):
    sock = appd.connect()
    sock.send(b'{"id": null, "type": "info"}')
    sock.send(b'{"id": null, "type": "teleport"}')
    sock.send(b'{"id": 3, "type": "info"}')
    replies = [json.loads(sock.recv(MSG_MAX)) for _ in range(3)]
    assert "id" in replies[0] and replies[0]["id"] is None and replies[0]["ok"] is True
    assert replies[1]["id"] is None and error_code(replies[1]) == "unknown_request"
    assert replies[2]["id"] == 3
    sock.close()


def test_an_id_too_large_to_echo_is_refused_without_it(appd):
    sock = appd.connect()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * MSG_MAX)
    # A valid request, whose reply, echoing the id, would not fit.
    big = json.dumps({"type": "info", "id": "x" * (MSG_MAX - 100)}).encode()
    assert len(big) < MSG_MAX
    try:
        sock.send(big)
    except OSError as e:
        pytest.skip(f"cannot send {len(big)} bytes here: {e}")
    reply = json.loads(sock.recv(MSG_MAX))
    assert error_code(reply) == "bad_request" and "id" not in reply, reply
    assert f"more than {ID_MAX}" in reply["error"]["message"]
    # Just small enough is echoed, and the connection still serves.
    ok_id = ["y" * (ID_MAX - 4)]
    assert len(json.dumps(ok_id, separators=(",", ":"))) == ID_MAX
    reply = appd.request({"type": "info", "id": ok_id}, sock=sock)
    assert reply["ok"] is True and reply["id"] == ok_id
    sock.close()


def human(appd, *args):
    """weftctl ARGS without --json."""
    return subprocess.run([str(WEFTCTL), "--socket", str(appd.socket), *args], env=appd.env,
                          capture_output=True, text=True, timeout=60)


def write_manifest(store, app_id, description):
    d = store / app_id
    d.mkdir()
    (d / "wapp.toml").write_text(
        f'[package]\nid = "{app_id}"\nname = "App {app_id[-4:]}"\nversion = "1.0"\n'
        f'description = "{description}"\n'
        '[runtime]\nmodule = "app.wasm"\n[ui]\nentry = "ui/index.html"\n')


def test_long_app_lists_are_paged(appd):
    # Descriptions of 62 KB (no longer valid manifests: at most 1024
    # characters), and more apps than fit in one message.
    for i in range(18):
        write_manifest(appd.user_store, f"org.test.long{i:04d}", "d" * 62000)
    ids = [f"org.test.many{i:04d}" for i in range(1100)]
    for app_id in ids:
        write_manifest(appd.user_store, app_id, "é" * 1000)

    listed = appd.ctl_json("list")
    listed_ids = [a["id"] for a in listed]
    assert listed_ids == sorted(listed_ids)
    assert [i for i in listed_ids if i.startswith("org.test.")] == ids
    assert COUNTER in listed_ids
    assert len(json.dumps(listed).encode()) > MSG_MAX

    # The human listing too.
    r = human(appd, "list")
    assert r.returncode == 0, r.stderr
    assert [line.split()[0] for line in r.stdout.splitlines()[1:]] == listed_ids

    # Pages by hand: each fits, follows the last, and says whether more do.
    sock = appd.connect()
    seen, after, pages = [], None, 0
    while True:
        req = {"type": "apps", "id": pages} | ({"after": after} if after else {})
        sock.send(json.dumps(req).encode())
        raw = sock.recv(MSG_MAX + 1)
        assert len(raw) <= MSG_MAX
        reply = json.loads(raw)
        assert reply["ok"] is True and reply["id"] == pages, reply
        pages += 1
        seen += [a["id"] for a in reply["apps"]]
        if not reply["more"]:
            break
        after = seen[-1]
    assert pages >= 2 and seen == listed_ids
    reply = appd.request({"type": "apps", "after": ids[10], "limit": 3}, sock=sock)
    assert [a["id"] for a in reply["apps"]] == ids[11:14] and reply["more"] is True
    reply = appd.request({"type": "apps", "after": listed_ids[-1]}, sock=sock)
    assert reply["apps"] == [] and reply["more"] is False
    sock.close()


def test_idle_connections_do_not_lock_others_out(appd):
    idle = []
    for _ in range(MAX_CLIENTS):
        idle.append(appd.connect())
        assert appd.request({"type": "info"}, sock=idle[-1])["ok"] is True
    assert appd.request({"type": "info"}, sock=idle[0])["ok"] is True
    # A new client gets in, in the place of the one idle longest: not
    # idle[0], which asked something since.
    assert appd.ctl_json("info")["ok"] is True
    idle[1].settimeout(10)
    assert error_code(json.loads(idle[1].recv(MSG_MAX))) == "busy"
    assert idle[1].recv(MSG_MAX) == b""
    assert appd.request({"type": "info"}, sock=idle[0])["ok"] is True
    # And so on, for as many as come.
    for _ in range(2 * MAX_CLIENTS):
        assert appd.ctl("ps").returncode == 0
    assert appd.request({"type": "info"}, sock=idle[-1])["ok"] is True
    for sock in idle:
        sock.close()


def test_subscribers_keep_their_place(appd):
    subscribers = [appd.connect() for _ in range(MAX_SUBSCRIBERS)]
    for sock in subscribers:
        assert appd.request({"type": "subscribe"}, sock=sock)["ok"] is True
    # At most half the connections may subscribe, so that a new client
    # always finds an idle one to replace.
    extra = appd.connect()
    reply = appd.request({"type": "subscribe"}, sock=extra)
    assert error_code(reply) == "busy"
    idle = [appd.connect() for _ in range(MAX_CLIENTS)]
    assert appd.ctl_json("info")["subscribers"] == MAX_SUBSCRIBERS
    # Every subscriber still gets events.
    appd.request({"type": "launch", "app_id": COUNTER})
    for sock in subscribers:
        event = json.loads(sock.recv(MSG_MAX))
        assert event["event"] == "state" and event["session"]["app_id"] == COUNTER
    for sock in subscribers + idle + [extra]:
        sock.close()


BIG = "org.weft.test.big"


def launch_big(appd):
    """Launches a signed package of 750 MB (the issue's example; sparse, so
    cheap to make, not to hash) and holds its check, once info shows it, with
    SIGSTOP: from then on nothing depends on how fast it hashes. The
    launching socket and the check's pid."""
    package = make_package(appd.user_store, BIG, signed=False)
    for i in range(3):
        with open(package / f"blob{i}", "wb") as f:
            f.truncate(250 * 1000 * 1000)
    sign(package)

    launcher = appd.connect()
    launcher.settimeout(120)
    launcher.send(json.dumps({"id": "L", "type": "launch", "app_id": BIG}).encode())

    # info is answered while the check runs, and names its process.
    def checking():
        for launch in appd.ctl_json("info").get("launching", []):
            if launch["app_id"] == BIG:
                return launch["pid"]
        assert not select.select([launcher], [], [], 0)[0], \
            "the launch was answered before the check was ever seen running"
        return None
    pid = wait_until("the package check to show in info", checking, timeout=30)
    os.kill(pid, signal.SIGSTOP)
    return launcher, pid


def test_checking_a_package_does_not_block_the_loop(appd):
    """A launch's package check runs in a child of appd's: other clients are
    served while it runs, and the launch is answered when it is done."""
    app_id = BIG
    launcher, pid = launch_big(appd)
    try:
        assert [s["app_id"] for s in appd.ctl_json("ps")] == []
        assert appd.request({"type": "info"})["launching"] == [{"app_id": app_id, "pid": pid}]
        assert f"checking: {app_id} (pid {pid})" in human(appd, "info").stdout
        assert not select.select([launcher], [], [], 0)[0]
        # The launching client's next request waits for the launch's reply.
        launcher.send(json.dumps({"id": "I", "type": "info"}).encode())
        assert not select.select([launcher], [], [], 0.2)[0]
    finally:
        os.kill(pid, signal.SIGCONT)
    reply = json.loads(launcher.recv(MSG_MAX))
    assert reply["id"] == "L" and reply["session"]["app_id"] == app_id, reply
    assert json.loads(launcher.recv(MSG_MAX))["id"] == "I"
    assert appd.ctl_json("info")["launching"] == []
    appd.ctl("terminate", reply["session"]["id"], "--wait")
    launcher.close()


def test_stopping_appd_ends_a_check_in_progress(appd):
    launcher, pid = launch_big(appd)
    appd.proc.send_signal(signal.SIGTERM)
    reply = json.loads(launcher.recv(MSG_MAX))
    assert reply["id"] == "L" and error_code(reply) == "busy", reply
    assert reply["error"]["message"] == "appd is shutting down"
    assert appd.proc.wait(timeout=30) == 0
    assert not alive(pid)
    launcher.close()


def test_a_failed_check_is_the_launch_reply(appd):
    app_id = "org.weft.test.unsigned"
    make_package(appd.user_store, app_id, signed=False)
    sock = appd.connect()
    # Replies in order, the launch's when its check is done.
    sock.send(json.dumps({"id": 1, "type": "launch", "app_id": app_id}).encode())
    sock.send(json.dumps({"id": 2, "type": "launch", "app_id": "org.weft.missing"}).encode())
    sock.send(json.dumps({"id": 3, "type": "info"}).encode())
    replies = [json.loads(sock.recv(MSG_MAX)) for _ in range(3)]
    assert [r["id"] for r in replies] == [1, 2, 3]
    assert error_code(replies[0]) == "untrusted"
    assert error_code(replies[1]) == "not_installed"
    assert replies[2]["launching"] == []
    sock.close()
