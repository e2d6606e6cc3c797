"""Network by grant only (issue 11, weft/net.h): a runtime has no network
of its own, granted or not, and appd connects for it to granted hosts only.

Through the real launch path: the real compositor, appd, weft-runtime
running the probe guest, and the stand-in app-shell relaying the test's
messages to it. From inside the runtime's network namespace (nsenter into
the live process's), TCP and UDP to a listener of the test's on 127.0.0.1
get ENETUNREACH, with a grant for that listener or for another host."""

import errno
import os
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from appdutil import PROBE, Relay, make_probe_package

pytestmark = pytest.mark.skipif(not PROBE.exists(), reason="the probe guest is not built")


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests = []
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def listeners():
    """A TCP listener and a UDP socket on 127.0.0.1, in the test's (the
    host's) network namespace: (tcp port, udp port)."""
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    yield tcp.getsockname()[1], udp.getsockname()[1]
    tcp.close()
    udp.close()


@pytest.fixture
def probe_app(start, tmp_path):
    """probe_app(capabilities) -> (weft, session, relay): the probe guest
    launched by appd with those capabilities, its IPC relayed to the test."""
    relays = []

    def _start(capabilities):
        directory = tmp_path / f"relay{len(relays)}"
        directory.mkdir()
        relay = Relay(directory)
        relays.append(relay)
        weft = start(env={"WEFT_STANDIN_RELAY": relay.path})
        app_id = "org.weft.test.net"
        make_probe_package(weft.user_store, app_id, capabilities)
        session = weft.launch(app_id)
        return weft, session, relay

    yield _start
    for relay in relays:
        relay.close()


# Run in the runtime's network namespace: one line per attempt, "ok" or
# the errno's name.
PROBE_SCRIPT = """
import errno, socket, sys
for kind, port in (("tcp", int(sys.argv[1])), ("udp", int(sys.argv[2]))):
    s = socket.socket(socket.AF_INET,
                      socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        if kind == "udp":
            s.send(b"x")
        print(kind, "ok")
    except OSError as e:
        print(kind, errno.errorcode.get(e.errno, e.errno))
"""


def in_netns(pid, tcp_port, udp_port):
    """The probe's lines, run in pid's network namespace (and, as an
    ordinary user, its user namespace, which owns the network one)."""
    if not Path("/usr/bin/nsenter").exists():
        pytest.skip("no nsenter(1)")
    enter = ["-n"] if os.geteuid() == 0 else ["-U", "-n", "--preserve-credentials"]
    r = subprocess.run(["/usr/bin/nsenter", "-t", str(pid), *enter, "/usr/bin/python3", "-c",
                        PROBE_SCRIPT, str(tcp_port), str(udp_port)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def ns(pid, name):
    return os.readlink(f"/proc/{pid}/ns/{name}")


@pytest.mark.parametrize("grant", ["listener", "other-host", "none"])
def test_the_runtime_has_no_network_granted_or_not(probe_app, listeners, grant):
    tcp_port, udp_port = listeners
    caps = {"listener": [f"net:fetch:127.0.0.1:{tcp_port}"],
            "other-host": ["net:fetch:example.org"], "none": []}[grant]
    weft, session, _ = probe_app(caps)
    pid = session["runtime_pid"]
    report = session["sandbox"]["runtime"]
    # A network namespace of its own, with no route anywhere: not appd's.
    assert ns(pid, "net") != ns(weft.appd_pid, "net")
    assert "net" in report["namespaces"]
    assert report["network"].startswith("none"), report
    assert "connect_tcp" in report["landlock"]["net"]
    assert in_netns(pid, tcp_port, udp_port) == ["tcp ENETUNREACH", "udp ENETUNREACH"]


def test_appd_connects_to_a_granted_host_only(probe_app, http_server):
    port = http_server.server_address[1]
    weft, session, relay = probe_app([f"net:fetch:127.0.0.1:{port}"])
    sid = session["id"]
    # Granted: appd resolves and connects, the runtime speaks HTTP on the
    # socket it was handed.
    assert relay.ask(f"fetch http://127.0.0.1:{port}/hello") == "ok 200 text/plain hello"
    assert http_server.requests == ["/hello"]
    # Not granted, in the same session: another name of the same listener,
    # another port, a redirect's target. appd refuses and says so.
    refused = {
        f"http://localhost:{port}/hello": "capability not granted: net:fetch:localhost",
        f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/hello":
            f"capability not granted: net:fetch:127.0.0.1:{port + 1 if port < 65535 else port - 1}",
        "http://127.0.0.1/hello": "capability not granted: net:fetch:127.0.0.1:80",
    }
    for url, why in refused.items():
        assert relay.ask(f"fetch {url}") == f"err {why}", url
        host_port = url.split("/")[2]
        if ":" not in host_port:
            host_port += ":80"
        assert f"session {sid}: connect {host_port} refused: {why}" in weft.logs()
    assert http_server.requests == ["/hello"]


def test_a_granted_name_never_reaches_a_private_address(probe_app, http_server):
    # net:fetch:* is any host at a public address: a name, or an address
    # typed in, that is loopback is refused (DNS rebinding).
    port = http_server.server_address[1]
    weft, session, relay = probe_app(["net:fetch:*"])
    answer = relay.ask("fetch http://127.0.0.1/hello")
    assert answer == ("err 127.0.0.1, a loopback address: apps reach those only by address, "
                      "granted as such (net:fetch:127.0.0.1:80)"), answer
    # And a port that no grant names is refused before anything resolves.
    assert relay.ask(f"fetch http://127.0.0.1:{port}/hello") == \
        f"err capability not granted: net:fetch:127.0.0.1:{port}"
    assert http_server.requests == []
