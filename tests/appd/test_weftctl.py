"""weftctl's command line: --help, --json everywhere, and errors as one line
with a non-zero status."""

import json
import os
import subprocess

import pytest

from appdutil import COUNTER, NOTES, WEFTCTL, wait_until


def run(*args, env=None):
    return subprocess.run([str(WEFTCTL), *args], capture_output=True, text=True, timeout=60,
                          env=env)


def one_line_error(r, status=1):
    assert r.returncode == status, r
    assert r.stdout == ""
    assert r.stderr.startswith("weftctl: ") and r.stderr.count("\n") == 1, r.stderr
    return r.stderr


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0
    for command in ("launch", "list", "ps", "state", "terminate", "watch", "--json"):
        assert command in r.stdout
    assert run("--version").stdout.startswith("weftctl ")


@pytest.mark.parametrize("args", [
    [], ["frobnicate"], ["launch"], ["launch", "a.b.c", "extra"], ["state"],
    ["ps", "--wait"], ["list", "--all"], ["--bogus", "ps"], ["launch", "a.b.c", "--timeout"],
    ["launch", "a.b.c", "--wait", "--timeout", "0"],
])
def test_usage_errors(args):
    r = run(*args)
    assert r.returncode == 2 and r.stdout == ""


def test_no_appd(tmp_path):
    r = run("--socket", str(tmp_path / "nothing.sock"), "ps")
    assert "cannot reach appd" in one_line_error(r)
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_RUNTIME_DIR", "WEFT_APPD_SOCKET")}
    assert "XDG_RUNTIME_DIR" in one_line_error(run("ps", env=env))


def test_socket_from_the_environment(start):
    weft = start(compositor=False)
    env = dict(weft.env, WEFT_APPD_SOCKET=str(weft.socket), XDG_RUNTIME_DIR="/nonexistent")
    assert run("ps", env=env).returncode == 0


def test_errors_from_appd_are_one_line(start):
    weft = start(compositor=False)
    args = ["--socket", str(weft.socket)]
    assert "no session 42" in one_line_error(run(*args, "state", "42"))
    assert "no session 42" in one_line_error(run(*args, "terminate", "42"))
    assert "not installed" in one_line_error(run(*args, "launch", "org.weft.not.here"))
    assert "invalid app id" in one_line_error(run(*args, "launch", "Bad\nId"))


def test_json_on_every_command(start):
    weft = start(compositor=False)
    args = ["--json", "--socket", str(weft.socket)]
    apps = json.loads(run(*args, "list").stdout)
    assert [a["id"] for a in apps] == [COUNTER, NOTES]
    assert apps[1]["capabilities"] == ["fs:rw:app-data", "sys:notifications"]
    session = json.loads(run(*args, "launch", COUNTER, "--wait").stdout)
    assert session["state"] == "running"
    assert json.loads(run(*args, "state", session["id"]).stdout)["id"] == session["id"]
    assert [s["id"] for s in json.loads(run(*args, "ps").stdout)] == [session["id"]]
    assert json.loads(run(*args, "info").stdout)["pid"] == weft.appd_pid
    ended = json.loads(run(*args, "terminate", session["id"], "--wait").stdout)
    assert ended["state"] == "stopped"
    assert json.loads(run(*args, "ps").stdout) == []
    assert len(json.loads(run(*args, "ps", "--all").stdout)) == 1


def test_watch_prints_one_event_per_line(start):
    weft = start(compositor=False)
    watch = subprocess.Popen([str(WEFTCTL), "--socket", str(weft.socket), "watch"],
                             stdout=subprocess.PIPE, text=True, env=weft.env)
    wait_until("watch to subscribe", lambda: weft.ctl_json("info")["subscribers"] == 1)
    sid = weft.launch(COUNTER)["id"]
    weft.ctl("terminate", sid, "--wait")
    lines = [watch.stdout.readline().rstrip("\n") for _ in range(4)]
    watch.terminate()
    watch.wait()
    assert lines == [f"{sid} {COUNTER} starting", f"{sid} {COUNTER} running",
                     f"{sid} {COUNTER} stopping: terminated",
                     f"{sid} {COUNTER} stopped: terminated"]


def test_launch_wait_fails_when_the_session_ends_first(start):
    # With a compositor, running waits for a first frame that never comes.
    weft = start(env={"WEFT_STANDIN_EXIT": "9"})
    r = run("--socket", str(weft.socket), "launch", COUNTER, "--wait")
    assert "ended before it ran: crashed: app-shell exited with status 9" in one_line_error(r)
