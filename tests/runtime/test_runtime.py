"""weft-runtime end to end: real components over their real channels."""
import array
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import MSG_MAX, PERSISTENT_CACHE, RUNTIME, app, guest, run_dev, run_plain

COUNTER = "org.weft.demo.counter"
NOTES = "org.weft.demo.notes"


# --- demo apps -------------------------------------------------------------

def test_counter_counts(env):
    r = run_dev(env, [app(COUNTER)], "increment\nincrement\nincrement\ndecrement\nget\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines == ['{"count":1}', '{"count":2}', '{"count":3}', '{"count":2}',
                     '{"count":2}']
    assert "READY" in r.stderr.decode().splitlines()


def test_counter_unknown_message(env):
    r = run_dev(env, [app(COUNTER)], 'increment\n"bogus\\\nget\n')
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == ['{"count":1}', '{"error":"unknown message"}',
                                              '{"count":1}']


def test_counter_over_seqpacket(env, session):
    s = session(app(COUNTER) + "/app.wasm")
    s.wait_ready()
    for _ in range(3):
        s.ask("increment")
    s.ask("decrement")
    assert json.loads(s.ask("get")) == {"count": 2}
    status, err = s.end()
    assert status == 0, err


NASTY = 'line one\nline "two"\n\\back\\slash\\\ttab\r\nünïcödé ✓ 🧵\n'


def test_notes_round_trip(env, session, tmp_path):
    data = tmp_path / "data"
    args = ["--grant", "fs:rw:app-data", "--data", str(data), "--app-id", NOTES]
    s = session(app(NOTES) + "/app.wasm", args)
    s.wait_ready()
    assert json.loads(s.ask("load")) == {"text": ""}
    saved = json.loads(s.ask("save:" + NASTY))
    assert saved == {"saved": True, "text": NASTY}
    assert s.end()[0] == 0

    # A new runtime process reads back exactly what was saved.
    s = session(app(NOTES) + "/app.wasm", args)
    s.wait_ready()
    assert json.loads(s.ask("load")) == {"text": NASTY}
    assert s.end()[0] == 0
    assert (data / "notes.txt").read_bytes() == NASTY.encode()
    assert not (data / ".notes.txt.tmp").exists()


def test_notes_dev_mode(env, tmp_path):
    data = tmp_path / "d"
    r = run_dev(env, ["--grant", "fs:rw:app-data", "--data", str(data), app(NOTES)],
                'save:a "quoted" \\ line\nload\n')
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert lines == [{"saved": True, "text": 'a "quoted" \\ line'},
                     {"text": 'a "quoted" \\ line'}]


def test_notes_says_saved(env, tmp_path):
    """Each save asks the system UI to show "Saved" (sys:notifications;
    weft-runtime run prints a notification on stderr); a load does not.
    Without the grant, the note is saved all the same."""
    data = tmp_path / "d"
    grants = ["--grant", "fs:rw:app-data", "--data", str(data)]
    r = run_dev(env, [*grants, "--grant", "sys:notifications", app(NOTES)],
                "load\nsave:one\nsave:two\n")
    assert r.returncode == 0, r.stderr
    said = [line for line in r.stderr.decode().splitlines() if line.startswith("notification:")]
    assert said == ["notification: Saved: Your note is saved."] * 2, r.stderr
    r = run_dev(env, [*grants, app(NOTES)], "save:three\nsave:four\n")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line) for line in r.stdout.decode().splitlines()] == [
        {"saved": True, "text": "three"}, {"saved": True, "text": "four"}]
    assert (data / "notes.txt").read_text() == "four"
    # The refusal is logged once, not on every save.
    assert r.stderr.decode().count("notes: no notification:") == 1, r.stderr


def test_notes_default_data_dir(env, tmp_path):
    r = run_dev(env, ["--grant", "fs:rw:app-data", app(NOTES)], "save:x\n")
    assert r.returncode == 0, r.stderr
    path = tmp_path / "share" / "weft" / "data" / NOTES / "notes.txt"
    assert path.read_text() == "x"


# --- capabilities ----------------------------------------------------------

def test_notes_without_grant_fails_cleanly(env):
    r = run_dev(env, [app(NOTES)], "load\nsave:x\n")
    assert r.returncode == 0, r.stderr
    replies = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert len(replies) == 2
    assert all("error" in reply for reply in replies)


def probe(env, stdin, args=(), timeout=30):
    r = run_dev(env, [*args, probe_package(env)], stdin, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().splitlines(), r.stderr.decode()


def dev_package(env, app_id, wasm):
    """A package directory for developer mode: a manifest and the component."""
    base = os.path.join(env["XDG_DATA_HOME"], "pkg", app_id)
    os.makedirs(os.path.join(base, "ui"), exist_ok=True)
    manifest = os.path.join(base, "wapp.toml")
    if not os.path.exists(manifest):
        with open(manifest, "w") as f:
            f.write(f'[package]\nid = "{app_id}"\nname = "Test"\nversion = "0.1.0"\n'
                    '[runtime]\nmodule = "app.wasm"\n[ui]\nentry = "ui/index.html"\n')
        os.symlink(wasm, os.path.join(base, "app.wasm"))
    return base


def probe_package(env):
    """The probe guest as a package directory, for developer mode."""
    return dev_package(env, "org.weft.test.probe", guest("probe"))


def test_guest_output_is_capped(env):
    # 32 MiB of lines to stderr and stdout: a second's worth reaches the
    # runtime's stderr (developer mode), then a count of what was dropped.
    # Some 330 000 writes, each a host call: 3.5 s of CPU at load 5, so the
    # time allowed is for a machine many times busier (a bound on a hang,
    # not on speed).
    start = time.monotonic()
    out, err = probe(env, "say hello\nflood 32\n", timeout=600)
    elapsed = time.monotonic() - start
    assert out == ["ok", "ok"]
    assert "\nhello\n" + "x" * 100 + "\n" in err, err[:300]
    allowed = (int(elapsed) + 2) * 64 * 1024 + 4096
    assert len(err) <= allowed, (len(err), allowed)
    assert re.search(r"^weft-runtime: \d+ bytes of the guest's output dropped "
                     r"\(over 65536 bytes a second\)$", err, re.M), err[-300:]


def test_fetch_without_grant(env, http_server):
    out, err = probe(env, f"fetch {http_server}/hello\n")
    assert out == ["err capability not granted: net:fetch:127.0.0.1"]
    assert "capability not granted: net:fetch:127.0.0.1" in err


def test_fetch_other_host_not_granted(env, http_server):
    out, _ = probe(env, f"fetch {http_server}/hello\n", ["--grant", "net:fetch:example.org"])
    assert out == ["err capability not granted: net:fetch:127.0.0.1"]


def port_of(url):
    return int(url.rsplit(":", 1)[1])


def test_fetch_granted(env, http_server):
    out, _ = probe(env, f"fetch {http_server}/hello\npost {http_server}/echo hi\n",
                   ["--grant", f"net:fetch:127.0.0.1:{port_of(http_server)}"])
    assert out == ["ok 200 text/plain hello from loopback 1",
                   'ok 201 application/json {"echo":"hi"}']


def test_fetch_granted_on_its_port_only(env, http_server):
    port = int(http_server.rsplit(":", 1)[1])
    out, _ = probe(env, f"fetch {http_server}/hello\n", ["--grant", f"net:fetch:127.0.0.1:{port}"])
    assert out == ["ok 200 text/plain hello from loopback 1"]
    other = port + 1 if port < 65535 else port - 1
    out, _ = probe(env, f"fetch {http_server}/hello\n",
                   ["--grant", f"net:fetch:127.0.0.1:{other}"])
    assert out == [f"err capability not granted: net:fetch:127.0.0.1:{port}"]
    # http's default port, when the URL names none.
    out, _ = probe(env, "fetch http://127.0.0.1/hello\n", ["--grant", f"net:fetch:127.0.0.1:{port}"])
    assert out == ["err capability not granted: net:fetch:127.0.0.1:80"]
    # A grant without a port is http's and https's: 80 and 443 only.
    out, _ = probe(env, f"fetch {http_server}/hello\n", ["--grant", "net:fetch:127.0.0.1"])
    assert out == [f"err capability not granted: net:fetch:127.0.0.1:{port}"]


def test_fetch_any_host_is_any_public_one(env, http_server):
    # net:fetch:* reaches public addresses only, on ports 80 and 443: not
    # this machine, even typed in as an address.
    out, _ = probe(env, "fetch http://127.0.0.1/hello\n", ["--grant", "net:fetch:*"])
    assert out == ["err 127.0.0.1, a loopback address: apps reach those only by address, "
                   "granted as such (net:fetch:127.0.0.1:80)"]
    out, _ = probe(env, f"fetch {http_server}/hello\n", ["--grant", "net:fetch:*"])
    assert out == [f"err capability not granted: net:fetch:127.0.0.1:{port_of(http_server)}"]


def test_fetch_redirect_to_the_same_host(env, http_server):
    out, _ = probe(env, f"fetch {http_server}/redirect-same\n",
                   ["--grant", f"net:fetch:127.0.0.1:{port_of(http_server)}"])
    assert out == ["ok 200 text/plain hello from loopback 1"]


def test_fetch_redirect_to_other_host_is_checked(env, http_server):
    out, _ = probe(env, f"fetch {http_server}/redirect-other\n",
                   ["--grant", f"net:fetch:127.0.0.1:{port_of(http_server)}"])
    assert out == ["err capability not granted: net:fetch:localhost"]


def test_dev_mode_waits_for_slow_answers(env, http_server):
    # The answer comes well after the quiet period that ends a session
    # whose guest does not answer at all.
    out, _ = probe(env, f"fetch {http_server}/slow\n",
                   ["--grant", f"net:fetch:127.0.0.1:{port_of(http_server)}"])
    assert out == ["ok 200 text/plain slow"]


def test_fetch_size_cap(env, http_server):
    out, _ = probe(env, f"fetch {http_server}/big\n",
                   ["--grant", f"net:fetch:127.0.0.1:{port_of(http_server)}",
                    "--fetch-max-bytes", "100000"])
    assert len(out) == 1 and out[0].startswith("err ") and "larger than 100000" in out[0]


def test_fetch_https(env, https_server, tls_cert):
    # Developer mode may name the only CAs to trust, for a local server.
    out, _ = probe(env, f"fetch https://localhost:{https_server}/hello\n",
                   ["--grant", f"net:fetch:localhost:{https_server}",
                    "--fetch-ca-file", tls_cert[0]])
    assert out == ["ok 200 text/plain hello from loopback 1"]


def test_fetch_https_verifies_the_server(env, https_server, tls_cert):
    # Not signed by a CA the runtime trusts.
    out, _ = probe(env, f"fetch https://localhost:{https_server}/hello\n",
                   ["--grant", f"net:fetch:localhost:{https_server}", "--fetch-timeout", "5"])
    assert len(out) == 1 and out[0].startswith("err fetch https://localhost:"), out
    assert "certificate" in out[0].lower()
    # Trusted, but not for this name.
    out, _ = probe(env, f"fetch https://127.0.0.1:{https_server}/hello\n",
                   ["--grant", f"net:fetch:127.0.0.1:{https_server}", "--fetch-ca-file", tls_cert[0],
                    "--fetch-timeout", "5"])
    assert len(out) == 1 and out[0].startswith("err fetch https://127.0.0.1:"), out
    reason = out[0].split("/hello: ", 1)[1]
    assert "127.0.0.1" in reason and "name" in reason, out


def test_fetch_https_not_granted_never_connects(env):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        out, err = probe(env, f"fetch https://127.0.0.1:{port}/x\n",
                         ["--grant", "net:fetch:localhost"])
        assert out == ["err capability not granted: net:fetch:127.0.0.1"]
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_fetch_https_unknown_host(env):
    # .invalid never resolves (RFC 2606).
    start = time.monotonic()
    out, _ = probe(env, "fetch https://nowhere.invalid/\n",
                   ["--grant", "net:fetch:nowhere.invalid", "--fetch-timeout", "3"])
    assert time.monotonic() - start < 10
    assert len(out) == 1 and out[0].startswith("err fetch https://nowhere.invalid/: "), out
    assert "resolve" in out[0].lower()


def test_fetch_ca_file_only_in_developer_mode(env, tls_cert, tmp_path):
    line = one_error_line(run_plain(env, ["--fetch-ca-file", tls_cert[0], guest("probe")]))
    assert line == "weft-runtime: --fetch-ca-file is for developer mode only"
    r = run_dev(env, ["--fetch-ca-file", str(tmp_path / "nope.pem"), probe_package(env)])
    line = one_error_line(r)
    assert line.startswith("weft-runtime: --fetch-ca-file ") and "No such file" in line


def test_fetch_only_http(env):
    out, _ = probe(env, "fetch file:///etc/passwd\n", ["--grant", "net:fetch:*"])
    assert out[0].startswith("err only http and https")


def test_read_only_preopen_refuses_writes(env, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "hello.txt").write_text("hi")
    out, _ = probe(env, "read /ro/hello.txt\nwrite /ro/new.txt x\nwrite /ro/hello.txt y\n",
                   ["--preopen", f"{ro}:/ro:ro"])
    assert out[0] == "ok hi"
    assert out[1].startswith("err ") and out[2].startswith("err ")
    assert sorted(os.listdir(ro)) == ["hello.txt"]
    assert (ro / "hello.txt").read_text() == "hi"


def test_read_only_app_data(env, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    out, _ = probe(env, "write /data/x y\n",
                   ["--grant", "fs:read:app-data", "--data", str(data)])
    assert out[0].startswith("err ")
    assert list(data.iterdir()) == []


def test_no_filesystem_without_grant(env):
    out, _ = probe(env, "read /etc/passwd\nwrite /tmp/x y\n")
    assert all(line.startswith("err ") for line in out)


def test_notifications_and_clipboard_grants(env):
    stdin = "notify hi\nclip-write text\nclip-read\n"
    out, _ = probe(env, stdin)
    assert out == ["err capability not granted: sys:notifications",
                   "err capability not granted: sys:clipboard:write",
                   "err capability not granted: sys:clipboard:read"]
    out, err = probe(env, stdin, ["--grant", "sys:notifications",
                                  "--grant", "sys:clipboard:read",
                                  "--grant", "sys:clipboard:write"])
    assert out == ["ok", "ok", "ok text"]
    assert "notification: hi: body" in err


def test_control_channel_requests(env, session):
    s = session(guest("probe"), ["--grant", "sys:notifications",
                                 "--grant", "sys:clipboard:read"])
    s.wait_ready()
    s.send("notify Hello")
    req = json.loads(s.control.recv(1 << 20))
    assert req["type"] == "notification" and req["title"] == "Hello"
    s.control.send(json.dumps({"id": req["id"], "ok": True}).encode())
    assert s.recv() == "ok"

    s.send("clip-read")
    req = json.loads(s.control.recv(1 << 20))
    assert req["type"] == "clipboard_read"
    s.control.send(json.dumps({"id": req["id"], "ok": True, "text": "from appd"}).encode())
    assert s.recv() == "ok from appd"

    s.send("notify refused")
    req = json.loads(s.control.recv(1 << 20))
    s.control.send(json.dumps({"id": req["id"], "error": {"code": "denied",
                                                          "message": "user said no"}})
                   .encode())
    assert s.recv() == "err user said no"
    assert s.end()[0] == 0


def test_fetch_asks_appd_for_its_connection(env, session, http_server):
    # Under appd the runtime has no network: it asks appd (here the test)
    # for a connected socket on its control channel, and never connects or
    # resolves itself.
    port = int(http_server.rsplit(":", 1)[1])
    s = session(guest("probe"), ["--grant", f"net:fetch:127.0.0.1:{port}"])
    s.wait_ready()
    s.send(f"fetch {http_server}/hello")
    s.control.settimeout(5)
    req = json.loads(s.control.recv(1 << 20))
    assert {k: req[k] for k in ("type", "host", "port")} == \
        {"type": "connect", "host": "127.0.0.1", "port": port}, req
    assert 0 < req["timeout_ms"] <= 10000
    with socket.create_connection(("127.0.0.1", port)) as conn:
        reply = json.dumps({"id": req["id"], "ok": True, "address": "127.0.0.1"}).encode()
        s.control.sendmsg([reply], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                     array.array("i", [conn.fileno()]))])
    assert s.recv() == "ok 200 text/plain hello from loopback 1"

    # appd's refusal is the fetch's error, in appd's words.
    s.send(f"fetch {http_server}/hello")
    req = json.loads(s.control.recv(1 << 20))
    s.control.send(json.dumps({"id": req["id"], "error": {
        "code": "connect_failed",
        "message": f"connect to 127.0.0.1:{port} (127.0.0.1): Connection refused"}}).encode())
    assert s.recv() == (f"err fetch {http_server}/hello: connect to 127.0.0.1:{port} "
                        "(127.0.0.1): Connection refused")
    s.send(f"fetch {http_server}/hello")
    req = json.loads(s.control.recv(1 << 20))
    s.control.send(json.dumps({"id": req["id"], "error": {
        "code": "permission_denied",
        "message": "capability not granted: net:fetch:127.0.0.1"}}).encode())
    assert s.recv() == "err capability not granted: net:fetch:127.0.0.1"
    # An ok without a socket is no connection.
    s.send(f"fetch {http_server}/hello")
    req = json.loads(s.control.recv(1 << 20))
    s.control.send(json.dumps({"id": req["id"], "ok": True, "address": "127.0.0.1"}).encode())
    assert s.recv() == f"err fetch {http_server}/hello: appd sent no socket"
    assert s.end()[0] == 0


def test_fetch_survives_malformed_refusals(env, session, http_server):
    # An error whose code or message is no string is still an error: a null
    # code crashed the runtime (strcmp of NULL; seen while writing
    # tests/fuzz/fuzz-runtime-reply, which reproduces it), a null message
    # became "(null)".
    port = int(http_server.rsplit(":", 1)[1])
    s = session(guest("probe"), ["--grant", f"net:fetch:127.0.0.1:{port}"])
    s.wait_ready()
    s.control.settimeout(5)
    for error, said in (({"code": None, "message": "no"}, "no"),
                        ({"code": 5, "message": None}, "request refused"),
                        ({"code": ["permission_denied"]}, "request refused")):
        s.send(f"fetch {http_server}/hello")
        req = json.loads(s.control.recv(1 << 20))
        s.control.send(json.dumps({"id": req["id"], "error": error}).encode())
        assert s.recv() == f"err fetch {http_server}/hello: {said}", error
    assert s.end()[0] == 0


def test_unknown_capability_rejected(env):
    r = run_dev(env, ["--grant", "net:everything", app(COUNTER)])
    assert r.returncode != 0
    assert r.stderr.decode().strip() == "weft-runtime: unknown capability 'net:everything'"


def capability_table():
    """(capability, "ok" or its error) from the table every program is tested against."""
    rows = []
    path = os.path.join(os.path.dirname(__file__), "..", "libweft", "capabilities.tsv")
    with open(path) as f:
        for line in f.read().splitlines():
            if line and not line.startswith("#"):
                cap, want = line.split("\t")
                rows.append((cap.encode().decode("unicode_escape"), want))
    return rows


def test_capabilities_as_the_shared_table_says(env):
    """What weft-pack check lets through runs; what it refuses, this refuses
    in the same words."""
    for cap, want in capability_table():
        r = run_dev(env, ["--grant", cap, probe_package(env)])
        err = r.stderr.decode()
        if want == "ok":
            assert r.returncode == 0, (cap, err)
        else:
            assert r.returncode != 0 and err == f"weft-runtime: {want}\n", (cap, err)


# --- limits ----------------------------------------------------------------

def test_memory_cap(env, tmp_path):
    start = time.monotonic()
    r = run_plain(env, ["--max-memory", "32", guest("memhog")])
    assert time.monotonic() - start < 20
    assert r.returncode == 1
    err = r.stderr.decode()
    got = int(err.split("allocation failed after ")[1].split(" MiB")[0])
    assert 16 <= got <= 32
    # One line says why, then the guest backtrace.
    ours = [line for line in err.splitlines() if line.startswith("weft-runtime:")]
    assert len(ours) == 1, err
    assert ours[0].startswith("weft-runtime: guest stopped: memory limit of 32 MiB reached"), err
    assert "abort" in err.split(ours[0])[1]


def test_memory_cap_refuses_growth_without_stopping(env):
    # A guest that copes with a failed allocation keeps running; the cap
    # is named only if it then fails.
    out, err = probe(env, "alloc 100\nalloc 2\nmemsize\n", ["--max-memory", "16"])
    assert out[:2] == ["err no memory", "ok"]
    assert 2 << 20 < int(out[2].split()[1]) <= 16 << 20
    assert "memory limit" not in err
    r = run_dev(env, ["--max-memory", "16", probe_package(env)], "alloc 100\nexit 1\n")
    assert r.returncode == 1
    assert ("weft-runtime: the guest failed after reaching its memory limit of 16 MiB"
            in r.stderr.decode())


def test_out_of_bounds_access_traps(env):
    # The runtime allocates linear memory itself (memory.c): the last byte
    # is usable, the next one and the far end of the reservation trap.
    (size,) = probe(env, "memsize\n")[0]
    size = int(size.split()[1])
    assert probe(env, f"peek {size - 1}\n")[0] == ["ok 0"]
    for address in (size, 0xFFFFFFFF):
        r = run_dev(env, [probe_package(env)], f"peek {address}\n")
        assert r.returncode == 1
        lines = r.stderr.decode().splitlines()
        assert "weft-runtime: guest trapped: out of bounds memory access" in lines


def test_endless_loop_stopped_at_session_end(env, session):
    s = session(guest("spin"))
    s.wait_ready()
    time.sleep(0.2)
    assert s.proc.poll() is None
    start = time.monotonic()
    status, err = s.end()
    assert time.monotonic() - start < 2
    assert status == 0, err


def test_idle_guest_ends_promptly(env, session):
    # An idle guest waits in ipc.wait, inside a host call where the epoch
    # cannot reach it; the end of the session frees it.
    s = session(app(COUNTER) + "/app.wasm")
    s.wait_ready()
    assert s.ask("increment") == '{"count":1}'
    time.sleep(0.5)
    assert s.ask("get") == '{"count":1}'
    time.sleep(0.5)
    start = time.monotonic()
    status, err = s.end()
    assert time.monotonic() - start < 1.5
    assert status == 0, err
    assert "did not stop" not in err


def test_endless_loop_dev_mode(env):
    pkg = dev_package(env, "org.weft.test.spin", guest("spin"))
    r = run_dev(env, [pkg], "", timeout=10)
    assert r.returncode == 0, r.stderr


def test_guest_exit_code(env):
    # WASI 0.2's exit carries only success or failure.
    assert run_dev(env, [probe_package(env)], "exit 7\n").returncode == 1
    assert run_dev(env, [probe_package(env)], "exit 0\n").returncode == 0


# --- bad input -------------------------------------------------------------

def one_error_line(r):
    assert r.returncode > 0, r
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("weft-runtime: ")
    return lines[0]


def test_core_module_rejected(env, tmp_path):
    core = tmp_path / "core.wasm"
    core.write_bytes(b"\0asm\1\0\0\0")
    line = one_error_line(run_plain(env, [str(core)]))
    assert "core.wasm" in line


def test_truncated_component_rejected(env, tmp_path):
    data = open(app(COUNTER) + "/app.wasm", "rb").read()
    bad = tmp_path / "truncated.wasm"
    bad.write_bytes(data[: len(data) // 2])
    one_error_line(run_plain(env, [str(bad)]))


def test_random_bytes_rejected(env, tmp_path):
    bad = tmp_path / "random.wasm"
    bad.write_bytes(os.urandom(4096))
    one_error_line(run_plain(env, [str(bad)]))


def test_ipc_fd_must_be_seqpacket(env):
    r = subprocess.run([RUNTIME, "--ipc-fd", "0", guest("probe")], env=env,
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
    assert one_error_line(r) == "weft-runtime: --ipc-fd 0 is not a SOCK_SEQPACKET socket"


def test_missing_file(env, tmp_path):
    line = one_error_line(run_plain(env, [str(tmp_path / "nope.wasm")]))
    assert "No such file" in line


def test_unknown_import_rejected(env):
    line = one_error_line(run_plain(env, [guest("unknown-import")]))
    assert "test:extra/bogus" in line


# --- precompiled cache -----------------------------------------------------

def cache_entries(env):
    d = os.path.join(env["XDG_CACHE_HOME"], "weft", "components")
    return [os.path.join(d, f) for f in os.listdir(d)] if os.path.isdir(d) else []


def test_cache_is_written_and_used(env):
    assert run_dev(env, [app(COUNTER)], "get\n").returncode == 0
    entries = cache_entries(env)
    assert len(entries) == 1
    mtime = os.stat(entries[0]).st_mtime_ns
    assert run_dev(env, [app(COUNTER)], "get\n").returncode == 0
    assert os.stat(entries[0]).st_mtime_ns == mtime


def test_corrupt_cache_entry_is_rebuilt(env):
    assert run_dev(env, [app(COUNTER)], "get\n").returncode == 0
    (entry,) = cache_entries(env)
    good = open(entry, "rb").read()
    for damage in (good[: len(good) // 3],
                   good[:20] + bytes([good[20] ^ 1]) + good[21:],
                   good[:200] + bytes([good[200] ^ 0xFF]) + good[201:],
                   good[:-1] + bytes([good[-1] ^ 1]),
                   b""):
        with open(entry, "wb") as f:
            f.write(damage)
        r = run_dev(env, [app(COUNTER)], "increment\n")
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode() == '{"count":1}\n'
        assert open(entry, "rb").read() == good


def test_no_cache(env):
    assert run_dev(env, ["--no-cache", app(COUNTER)], "get\n").returncode == 0
    assert cache_entries(env) == []


def test_documents_grant(env, tmp_path):
    docs = tmp_path / "Documents"
    docs.mkdir()
    env["XDG_DOCUMENTS_DIR"] = str(docs)
    out, _ = probe(env, "write /xdg/documents/a.txt hello\n",
                   ["--grant", "fs:rw:xdg-documents"])
    assert out == ["ok"]
    assert (docs / "a.txt").read_text() == "hello"
    out, _ = probe(env, "write /xdg/documents/b.txt x\nread /xdg/documents/a.txt\n",
                   ["--grant", "fs:read:xdg-documents"])
    assert out[0].startswith("err ") and out[1] == "ok hello"
    assert not (docs / "b.txt").exists()


def test_missing_preopen_dir(env, tmp_path):
    r = run_dev(env, ["--preopen", f"{tmp_path}/nope:/x", app(COUNTER)])
    assert r.returncode != 0
    assert r.stderr.decode().strip().endswith("No such file or directory")


# --- other languages -------------------------------------------------------

def test_javascript_component(env):
    """A guest built by componentize-js (SpiderMonkey) runs like a C one."""
    js = guest("js")
    if not os.path.exists(js):
        pytest.skip("no JavaScript guest (node and npm are needed to build it)")
    env["XDG_CACHE_HOME"] = PERSISTENT_CACHE
    pkg = dev_package(env, "org.weft.test.js", js)
    r = run_dev(env, [pkg], "hello\nwörld\n", timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == ["js:HELLO", "js:WÖRLD"]


def test_bad_ipc_messages_are_dropped(env, session):
    s = session(guest("probe"))
    s.wait_ready()
    s.send(b"clip-read \xff\xfe not utf-8")
    # A message over the 1 MiB cap needs a send buffer larger than the
    # kernel's default maximum, which only root may force.
    oversize = os.geteuid() == 0
    if oversize:
        SO_SNDBUFFORCE = 32
        s.ipc.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 4 * 1024 * 1024)
        s.send(b"x" * (1024 * 1024 + 1))
    s.send(b"")
    assert s.recv() == "err unknown command"  # the empty message
    s.send("notify hi")
    assert s.recv() == "err capability not granted: sys:notifications"
    status, err = s.end()
    assert status == 0, err
    assert "not UTF-8" in err
    assert not oversize or "dropped a message of 1048577 bytes" in err


def test_doorbell_rings_after_a_dropped_message(env, session):
    # A message the runtime drops still rang the doorbell; the next one must
    # ring it again, or the guest sleeps forever.
    s = session(guest("probe"))
    s.wait_ready()
    time.sleep(0.3)
    s.send(b"\xff not utf-8")
    time.sleep(0.3)
    assert s.ask("notify x") == "err capability not granted: sys:notifications"
    assert s.end()[0] == 0


# --- weft:app/ipc@0.2.0's wait ---------------------------------------------

def in_poll(pid):
    """Whether the process's main thread (the guest's) is blocked in poll()."""
    try:
        with open(f"/proc/{pid}/syscall") as f:
            return f.read().split()[0] == "7"  # __NR_poll on x86-64
    except (OSError, IndexError):
        return False


def wait_until(cond, timeout=10):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_ipc_wait_blocks_until_a_message(env, session):
    # The guest blocks in its own thread, in poll() on the IPC socket
    # (not in Wasmtime's stdin thread), and a message wakes it.
    s = session(guest("probe"))
    s.wait_ready()
    s.send("wait forever")
    wait_until(lambda: in_poll(s.proc.pid))
    assert s.ask("hello wörld ✓") == "got hello wörld ✓"
    # ipc.recv and ipc.wait take from one queue, in order.
    s.send("wait 60000")
    s.send("first")
    s.send("say second")
    assert s.recv() == "got first"
    assert s.recv() == "ok"
    status, err = s.end()
    assert status == 0, err
    assert "second" in err


def test_ipc_wait_times_out(env, session):
    s = session(guest("probe"))
    s.wait_ready()
    start = time.monotonic()
    assert s.ask("wait 100") == "none"
    assert time.monotonic() - start >= 0.095
    assert s.ask("wait 0") == "none"
    assert s.ask("notify x") == "err capability not granted: sys:notifications"
    assert s.end()[0] == 0


def test_ipc_wait_returns_when_the_session_ends(env, session):
    s = session(guest("probe"))
    s.wait_ready()
    s.send("wait forever")
    wait_until(lambda: in_poll(s.proc.pid))
    start = time.monotonic()
    status, err = s.end()
    assert time.monotonic() - start < 1.5
    assert status == 0, err
    assert "did not stop" not in err


def thread_state(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def test_ipc_wait_after_the_page_hung_up(env, session):
    # Nothing can come any more: wait sleeps out its time-out (none), and
    # without one sleeps until the session ends, rather than spin.
    s = session(guest("probe"))
    s.wait_ready()
    s.send("wait 100")
    s.ipc.shutdown(socket.SHUT_WR)
    assert s.recv() == "none"
    s.ipc.close()
    wait_until(lambda: in_poll(s.proc.pid))
    assert [thread_state(s.proc.pid) for _ in range(50)] == ["S"] * 50
    start = time.monotonic()
    s.proc.send_signal(signal.SIGTERM)
    _, err = s.proc.communicate(timeout=10)
    assert time.monotonic() - start < 1.5
    assert s.proc.returncode == 0, err
    assert b"did not stop" not in err


def test_ipc_wait_burst_in_order(env, session):
    # Design §7 through ipc.wait: 10 000 messages sent without waiting for
    # replies, 1 MiB ones and exact UTF-8 among them, each echoed whole
    # and in order.
    s = session(guest("probe"))
    s.ipc.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
    s.ipc.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    s.wait_ready()
    count = 10000
    big = ("ü✓🧵" * (MSG_MAX // 9))[:MSG_MAX // 9 * 3]
    big = big + "x" * (MSG_MAX - len(big.encode()))
    assert len(big.encode()) == MSG_MAX

    def payload(i):
        if i % 2500 == 1:
            return big
        return f"{i} ünïcödé 🧵 " + "y" * (i % 700)

    s.send(f"echo {count}")
    errors = []

    def sender():
        try:
            for i in range(count):
                s.send(payload(i))
        except OSError as e:
            errors.append(e)

    t = threading.Thread(target=sender)
    t.start()
    s.ipc.settimeout(60)
    for i in range(count):
        got = s.recv()
        assert got == payload(i), f"message {i}: {len(got)} bytes"
    t.join()
    assert not errors
    assert s.ask("wait 0") == "none"
    assert s.end()[0] == 0


# --- components built for weft:app@0.1.0 alone -----------------------------

def test_component_for_0_1_0_still_runs(env, session):
    # The counter built with WAPP_WEFT_APP_0_1 imports nothing of 0.2.0
    # (as a component built for WEFT OS) and waits on the stdin doorbell.
    component = guest("counter-0.1")
    with open(component, "rb") as f:
        data = f.read()
    assert b"weft:app/ipc@0.1.0" in data and b"@0.2.0" not in data
    s = session(component)
    s.wait_ready()
    assert s.ask("increment") == '{"count":1}'
    assert s.ask("increment") == '{"count":2}'
    assert s.ask("get") == '{"count":2}'
    start = time.monotonic()
    status, err = s.end()
    assert time.monotonic() - start < 1.5
    assert status == 0, err
    assert "did not stop" not in err
    pkg = dev_package(env, "org.weft.test.counter01", component)
    r = run_dev(env, [pkg], "increment\nget\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == ['{"count":1}', '{"count":1}']
