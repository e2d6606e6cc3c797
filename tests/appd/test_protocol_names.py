"""appd sends only names its protocol headers define, and the man page
describes each (tests/weftproto.py reads both): every member of an info
reply (its spare too), of a SESSION (its exit and sandbox), of an app and of
an event on the control socket; every error code on the runtime control
channel."""

import sys

from appdutil import COUNTER, SOURCE, Watcher, fake, fake_log, make_package, wait_until

sys.path.insert(0, str(SOURCE / "tests"))
from weftproto import Protocol, doc_mentions, envelope  # noqa: E402

APPD = Protocol("appd")
RUNTIME = Protocol("runtime")


def assert_named(obj, where, protocol=APPD):
    """Every member of obj is a name of protocol's header, named in its man page."""
    text = protocol.doc_text()
    for key in obj:
        assert key in protocol.of("KEY") | envelope(), \
            f"{where} sends {key!r}, which {protocol.header.name} does not define"
        assert key in envelope() or doc_mentions(text, key), \
            f"{where} sends {key!r}, which {protocol.doc.name} does not describe"


def assert_session(session, where):
    assert_named(session, where)
    assert session["state"] in APPD.of("STATE"), session
    assert session["limits"] == "enforced" or session["limits"].startswith("not enforced: ")
    for process, report in session["sandbox"].items():
        assert process in APPD.of("PROCESS"), session["sandbox"]
        assert "enforced" in report and "summary" in report, report
    if "exit" in session:
        assert_named(session["exit"], where + "'s exit")
        assert session["exit"]["process"] in APPD.of("PROCESS")


def test_info_names_what_the_header_defines(start):
    weft = start()
    info = weft.request({"type": "info", "id": 1})
    assert info["ok"] is True
    assert_named(info, "info")
    # The members protocol.h once left out are there, and described.
    for key in ("spare", "sandbox", "launching"):
        assert key in info, info
    assert_named(info["spare"], "info's spare")
    assert info["spare"]["state"] in APPD.of("SPARE"), info["spare"]
    assert ("pid" in info["spare"]) != ("why" in info["spare"]), info["spare"]
    assert info["limits"] in APPD.of("LIMITS"), info["limits"]
    assert info["sandbox"] in APPD.of("SANDBOX"), info["sandbox"]
    for launch in info["launching"]:
        assert_named(launch, "info's launching")


def test_sessions_apps_and_events_name_what_the_header_defines(start):
    weft = start()
    watcher = Watcher(weft)
    try:
        sid = weft.launch(COUNTER)["id"]
        weft.wait_state(sid, "running")
        weft.ctl("terminate", sid, "--wait")
        watcher.states(sid)
        with watcher.lock:
            events = list(watcher.events)
    finally:
        watcher.close()
    for event in events:
        assert event["event"] in APPD.of("EVENT"), event
        assert_named(event, f"the {event['event']} event")
        assert_session(event["session"], "a state event's SESSION")
    reply = weft.request({"type": "sessions", "all": True})
    assert reply["sessions"], reply
    for session in reply["sessions"]:
        assert_session(session, "sessions")
    reply = weft.request({"type": "apps", "limit": 1})
    assert_named(reply, "apps")
    for app in reply["apps"]:
        assert_named(app, "an APP")


def test_runtime_channel_error_codes_are_the_headers(start, tmp_path):
    """Each error code appd answers a runtime with, unavailable included, is
    one weft/runtime-protocol.h defines (and so weft-appd(8) lists)."""
    weft, log = fake(start, "requests", tmp_path)
    make_package(weft.user_store, "org.weft.test.codes", capabilities=["sys:notifications"])
    weft.launch("org.weft.test.codes", wait=False)  # weftctl --wait would subscribe
    entries = wait_until("every reply", lambda: (e := fake_log(log)) and "done" in e[-1] and e)
    replies = [e["reply"] for e in entries if "reply" in e]
    codes = {r["error"]["code"] for r in replies if "error" in r}
    assert "unavailable" in codes, replies  # no subscriber shows the notification
    assert codes <= RUNTIME.of("ERR"), codes - RUNTIME.of("ERR")
    for reply in replies:
        assert_named({k: v for k, v in reply.items() if k != "id"}, "a runtime reply",
                     RUNTIME)
