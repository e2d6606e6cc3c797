"""A store directory crafted against the manifest parser: appd parses every
directory in the store, signed or not, so one such directory must cost that
entry only, never appd and the sessions it holds."""

from appdutil import COUNTER, NOTES, make_package, sign

# About 30 000 levels in under 64 KiB, enough to overflow toml++'s stack.
DEEP = {
    "org.weft.test.deepkey": "a." * 30000 + "a = 1\n",
    "org.weft.test.deepheader": "[" + "a." * 30000 + "a]\n",
    "org.weft.test.deeptable": "a = " + "{a = " * 10000 + "1" + "}" * 10000 + "\n",
}


def crafted(store, app_id, deep, signed):
    pkg = make_package(store, app_id, signed=False)
    text = (pkg / "wapp.toml").read_text()
    (pkg / "wapp.toml").write_text(deep + text)
    if signed:
        sign(pkg)
    return pkg


def test_crafted_manifests_in_the_store(start):
    weft = start(appd_args=["--allow-untrusted"])
    session = weft.launch(COUNTER)
    assert session["state"] == "running"
    for i, (app_id, deep) in enumerate(sorted(DEEP.items())):
        crafted(weft.user_store, app_id, deep, signed=i % 2 == 0)
    pid = weft.appd_pid
    for _ in range(3):
        apps = weft.ctl_json("list")
        assert [a["id"] for a in apps] == [COUNTER, NOTES]
    for app_id in DEEP:
        r = weft.ctl("launch", app_id, check=False)
        assert r.returncode == 1 and r.stdout == "", r
        assert r.stderr.startswith("weftctl: ") and r.stderr.count("\n") == 1, r.stderr
        assert "wapp.toml:1: nesting deeper than 16 levels" in r.stderr, r.stderr
    assert weft.ctl_json("info")["pid"] == pid
    assert weft.state(session["id"])["state"] == "running"
    assert [s["id"] for s in weft.ctl_json("ps")] == [session["id"]]
    assert "nesting deeper than 16 levels" in weft.logs()
    weft.ctl("terminate", session["id"], "--wait")
