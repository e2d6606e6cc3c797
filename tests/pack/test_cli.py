"""Every subcommand's --help, and bad input: one clear line, non-zero exit."""

import pytest

from packutil import make_package

SUBCOMMANDS = [
    ["generate-key"], ["sign"], ["verify"], ["trust"], ["trust", "add"], ["trust", "list"],
    ["trust", "remove"], ["check"], ["info"], ["list"], ["install"], ["uninstall"],
    ["bundle"], ["unbundle"], ["build-image"],
]


@pytest.mark.parametrize("cmd", SUBCOMMANDS, ids=" ".join)
def test_help(wp, cmd):
    for flag in ("--help", "-h"):
        r = wp.run(*cmd, flag, ok=True)
        assert r.stdout.startswith(f"Usage: weft-pack {' '.join(cmd)}"), r.stdout
        assert r.stderr == ""
    # --help wins over bad arguments.
    r = wp.run(*cmd, "--help", "extra", ok=True)
    assert "Usage:" in r.stdout


def test_top_level_help_and_version(wp):
    r = wp.run("--help", ok=True)
    for cmd in ("generate-key", "sign", "verify", "trust", "check", "info", "list", "install",
                "uninstall", "bundle", "unbundle", "build-image"):
        assert f"  {cmd} " in r.stdout
    r = wp.run("--version", ok=True)
    assert r.stdout.startswith("weft-pack ")


@pytest.fixture
def inputs(wp, tmp_path):
    """Paths the bad-input cases refer to."""
    pkg = make_package(tmp_path / "pkg")
    garbage = tmp_path / "garbage"
    garbage.write_text("this is not a key\n")
    short_key = tmp_path / "short.key"
    short_key.write_text("abcd\n")
    nodir = tmp_path / "missing"
    return {"pkg": pkg, "garbage": garbage, "short": short_key, "nodir": nodir,
            "file": pkg / "wapp.toml", "tmp": tmp_path}


BAD = [
    # (arguments, expected exit status, a word the message must contain)
    ([], 2, "no command"),
    (["frobnicate"], 2, "unknown command"),
    (["--frobnicate"], 2, "unknown option"),
    (["generate-key", "--frobnicate"], 2, "unknown option"),
    (["generate-key", "-x"], 2, "unknown option"),
    (["generate-key", "a", "b"], 2, "unexpected argument"),
    (["generate-key", "{nodir}/sub"], 1, "No such file"),
    (["generate-key", "{file}"], 1, "not a directory"),
    (["sign"], 2, "missing DIR"),
    (["sign", "{pkg}"], 2, "--key"),
    (["sign", "{pkg}", "--key"], 2, "needs a value"),
    (["sign", "{nodir}", "--key", "{garbage}"], 1, "No such file"),
    (["sign", "{pkg}", "--key", "{garbage}"], 1, "garbage"),
    (["sign", "{pkg}", "--key", "{short}"], 1, "short.key"),
    (["sign", "{pkg}", "--key", "{nodir}"], 1, "missing"),
    (["sign", "{pkg}", "--key", "{garbage}", "--frobnicate"], 2, "unknown option"),
    (["verify"], 2, "missing DIR"),
    (["verify", "{nodir}"], 1, "No such file"),
    (["verify", "{pkg}"], 1, "not signed"),
    (["verify", "{pkg}", "--key", "{garbage}"], 1, "garbage"),
    (["verify", "{pkg}", "extra"], 2, "unexpected argument"),
    (["trust"], 2, "missing subcommand"),
    (["trust", "frobnicate"], 2, "unknown subcommand"),
    (["trust", "add"], 2, "missing PUB"),
    (["trust", "add", "{garbage}"], 1, "garbage"),
    (["trust", "add", "{nodir}"], 1, "missing"),
    (["trust", "add", "a", "b"], 2, "unexpected argument"),
    (["trust", "list", "extra"], 2, "unexpected argument"),
    (["trust", "remove"], 2, "missing PUB"),
    (["trust", "remove", "00" * 32], 1, "not trusted"),
    (["trust", "remove", "{garbage}"], 1, "garbage"),
    (["check"], 2, "missing DIR"),
    (["check", "{nodir}"], 1, "No such file"),
    (["check", "{file}"], 1, "Not a directory"),
    (["check", "--frobnicate", "{pkg}"], 2, "unknown option"),
    (["info"], 2, "missing DIR|ID"),
    (["info", "{nodir}"], 1, "no such package"),
    (["info", "org.example.missing"], 1, "org.example.missing"),
    (["info", "{tmp}"], 1, "wapp.toml"),
    (["list", "extra"], 2, "unexpected argument"),
    (["list", "--frobnicate"], 2, "unknown option"),
    (["install"], 2, "missing DIR|BUNDLE"),
    (["install", "{nodir}"], 1, "No such file"),
    (["install", "{pkg}"], 1, "not signed"),
    (["install", "{garbage}"], 1, "garbage"),
    (["install", "{pkg}", "--replace=yes"], 2, "--replace"),
    (["uninstall"], 2, "missing ID"),
    (["uninstall", "not-an-id"], 1, "not-an-id"),
    (["uninstall", "org.example.missing"], 1, "not installed"),
    (["uninstall", "org.example.missing", "--purge", "x"], 2, "unexpected argument"),
    (["bundle"], 2, "missing DIR"),
    (["bundle", "{nodir}"], 1, "No such file"),
    (["bundle", "{pkg}", "-o"], 2, "needs a value"),
    (["bundle", "{tmp}"], 1, "wapp.toml"),
    (["bundle", "{pkg}", "-o", "{nodir}/x/out.weftpkg"], 1, "No such file"),
    (["unbundle"], 2, "missing FILE"),
    (["unbundle", "{nodir}"], 1, "No such file"),
    (["unbundle", "{garbage}"], 1, "garbage"),
    (["unbundle", "{pkg}"], 1, "not a regular file"),
    (["unbundle", "{garbage}", "-o", "{pkg}"], 1, "already exists"),
    (["build-image"], 2, "missing DIR"),
    (["build-image", "{nodir}"], 1, "No such file"),
    (["build-image", "{tmp}"], 1, "wapp.toml"),
    (["build-image", "{pkg}", "--output"], 2, "needs a value"),
]


@pytest.mark.parametrize("args,status,word", BAD, ids=lambda v: " ".join(v)
                         if isinstance(v, list) else str(v))
def test_bad_input(wp, inputs, args, status, word):
    args = [a.format(**inputs) for a in args]
    r = wp.run(*args, ok=False)
    assert r.returncode == status, r.stderr
    assert word in r.stderr, r.stderr
    # Failing commands write nothing to the store.
    assert wp.store_entries() == []
