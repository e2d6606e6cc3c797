"""Fixtures for weft-runtime's black-box tests.

The runtime, the demo packages and the test guests come from the meson
build (see meson.build here); each test drives a real weft-runtime process
over its real channels: SOCK_SEQPACKET pairs for IPC and control, or stdin
and stdout in developer mode.
"""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# Everything comes from the meson build directory; WEFT_RUNTIME,
# WEFT_APPS_DIR and WEFT_GUESTS_DIR override its parts.
BUILD = os.environ.get("WEFT_BUILD_DIR", "")
RUNTIME = os.environ.get("WEFT_RUNTIME") or (
    os.path.join(BUILD, "runtime", "weft-runtime") if BUILD else "")
APPS = os.environ.get("WEFT_APPS_DIR") or os.path.join(BUILD, "apps")
GUESTS = os.environ.get("WEFT_GUESTS_DIR") or os.path.join(BUILD, "tests", "runtime")
# Compiling the 12 MB JavaScript component takes a minute: its precompiled
# artifact is kept between runs.
PERSISTENT_CACHE = os.path.join(GUESTS, "cache")
MSG_MAX = 1024 * 1024

if not RUNTIME or not os.path.exists(RUNTIME):
    pytest.skip("weft-runtime not built (set WEFT_BUILD_DIR, or run through meson test)",
                allow_module_level=True)


def app(app_id):
    return os.path.join(APPS, app_id)


def guest(name):
    return os.path.join(GUESTS, name + ".wasm")


@pytest.fixture
def env(tmp_path):
    """A clean environment: own cache and data homes, no proxies."""
    e = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    e["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    e["XDG_DATA_HOME"] = str(tmp_path / "share")
    e["WEFT_LOG"] = "warn"
    return e


def run_dev(env, args, stdin="", timeout=30):
    """weft-runtime run ARGS with stdin; returns the CompletedProcess."""
    return subprocess.run([RUNTIME, "run", *args], input=stdin.encode(), env=env,
                          capture_output=True, timeout=timeout)


def run_plain(env, args, timeout=30):
    """weft-runtime ARGS --ipc-fd N, with N one end of a fresh IPC pair."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with ours, theirs:
        return subprocess.run([RUNTIME, "--ipc-fd", str(theirs.fileno()), *args], env=env,
                              capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),))


class Session:
    """weft-runtime as appd starts it: IPC and control over SOCK_SEQPACKET."""

    def __init__(self, env, component, args=()):
        self.ipc, ipc_peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control, control_peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cmd = [RUNTIME, "--ipc-fd", str(ipc_peer.fileno()),
               "--control-fd", str(control_peer.fileno()), *args, component]
        self.proc = subprocess.Popen(cmd, env=env, pass_fds=(ipc_peer.fileno(),
                                     control_peer.fileno()),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        ipc_peer.close()
        control_peer.close()
        self.ipc.settimeout(10)
        self.control.settimeout(10)

    def wait_ready(self):
        assert self.control.recv(MSG_MAX) == b"READY\n"

    def send(self, payload):
        self.ipc.send(payload.encode() if isinstance(payload, str) else payload)

    def recv(self):
        return self.ipc.recv(MSG_MAX + 1).decode()

    def ask(self, payload):
        self.send(payload)
        return self.recv()

    def end(self):
        """Ends the session as appd does; returns (exit status, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=10)
        self.ipc.close()
        self.control.close()
        return self.proc.returncode, err.decode()


@pytest.fixture
def session(env):
    sessions = []

    def start(component, args=()):
        s = Session(env, component, args)
        sessions.append(s)
        return s

    yield start
    for s in sessions:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, ctype, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        port = self.server.server_address[1]
        if self.path == "/hello":
            marker = self.headers.get("X-Weft-Test", "")
            self.reply(200, "text/plain", f"hello from loopback {marker}".encode())
        elif self.path == "/redirect-same":
            self.reply(302, "text/plain", b"", [("Location", "/hello")])
        elif self.path == "/redirect-other":
            self.reply(302, "text/plain", b"",
                       [("Location", f"http://localhost:{port}/hello")])
        elif self.path == "/slow":
            time.sleep(1.5)
            self.reply(200, "text/plain", b"slow")
        elif self.path == "/big":
            self.reply(200, "application/octet-stream", b"x" * (5 * 1024 * 1024))
        else:
            self.reply(404, "text/plain", b"not found")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.reply(201, "application/json", b'{"echo":"' + body + b'"}')


@pytest.fixture(scope="session")
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    """A self-signed certificate for localhost only (not 127.0.0.1)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj", "/CN=weft test server",
                    "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture(scope="session")
def https_server(tls_cert):
    """The HTTP test server over TLS on loopback; yields its port."""
    cert, key = tls_cert
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server.server_address[1]
    server.shutdown()
