"""A wapp.toml crafted to crash the parser: every command that reads one
refuses it with one error line, and none dies of a signal."""

import tarfile

import pytest

from packutil import make_package

ID = "org.example.deep"
LIMIT = 16

# Each nests about 30 000 levels in under 64 KiB: toml++ alone overflows its stack.
DEEP = {
    "dotted-key": "a." * 30000 + "a = 1\n",
    "header": "[" + "a." * 30000 + "a]\n",
    "array-header": "[[" + "a." * 30000 + "a]]\n",
    "inline-table": "a = " + "{a = " * 10000 + "1" + "}" * 10000 + "\n",
    "array": "a = " + "[" * 30000 + "1" + "]" * 30000 + "\n",
    "inline-dotted": "a = {" + "a." * 30000 + "a = 1}\n",
}


def deep_package(path, shape):
    """A valid package whose wapp.toml then gets the deep part at line 2."""
    make_package(path, app_id=ID)
    text = (path / "wapp.toml").read_text()
    (path / "wapp.toml").write_text("# crafted\n" + DEEP[shape] + text)
    return path


def assert_no_signal(r):
    assert r.returncode >= 0, f"killed by signal {-r.returncode}"


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_check_refuses_deep_nesting(wp, tmp_path, shape):
    pkg = deep_package(tmp_path / ID, shape)
    r = wp.run("check", pkg)
    assert_no_signal(r)
    assert r.returncode == 1
    errors = [line for line in r.stdout.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: {pkg}/wapp.toml:2: nesting deeper than {LIMIT} levels"]
    assert r.stderr == f"weft-pack: check: {pkg}: 1 problem found\n"


@pytest.mark.parametrize("shape", ["dotted-key", "header", "inline-table"])
def test_info_and_install_refuse_deep_nesting(wp, tmp_path, shape):
    pkg = deep_package(tmp_path / ID, shape)
    # Signed by a trusted key: only the manifest is wrong.
    wp.run("sign", pkg, "--key", wp.key()[0], ok=True)
    for args in (["info", pkg], ["install", pkg]):
        r = wp.run(*args, ok=False)
        assert_no_signal(r)
        assert "nesting deeper than 16 levels" in r.stderr, r.stderr
    assert wp.store_entries() == []


def test_bundle_and_install_of_a_bundle_refuse_deep_nesting(wp, tmp_path):
    pkg = deep_package(tmp_path / ID, "header")
    r = wp.run("bundle", pkg, "-o", tmp_path / "deep.weftpkg", ok=False)
    assert_no_signal(r)
    assert "nesting deeper than 16 levels" in r.stderr
    # A bundle made by hand, which weft-pack would not have written.
    bundle = tmp_path / "hand.weftpkg"
    with tarfile.open(bundle, "w:gz") as tar:
        for path in sorted(pkg.rglob("*")):
            tar.add(path, arcname=path.relative_to(pkg).as_posix(), recursive=False)
    r = wp.run("install", "--allow-untrusted", bundle)
    assert_no_signal(r)
    assert r.returncode == 1
    assert r.stderr.splitlines()[-1].endswith(
        "wapp.toml:2: nesting deeper than 16 levels (see weft-pack check)"), r.stderr
    assert wp.store_entries() == []


def test_list_and_info_with_a_deep_entry_in_the_store(wp, tmp_path):
    wp.run("install", wp.signed_package(tmp_path / "pkg"), ok=True)
    deep_package(wp.store / ID, "dotted-key")
    r = wp.run("list", ok=True)
    assert_no_signal(r)
    lines = {line.split()[0]: line for line in r.stdout.splitlines() if line.startswith("  ")}
    assert "malformed" in lines[ID]
    assert lines["org.example.hello"].split()[-1] == "trusted"
    r = wp.run("info", ID, ok=False)
    assert_no_signal(r)
    assert "nesting deeper than 16 levels" in r.stderr
