"""The identifier index of the grounding checks: does a name a review uses
exist in the file, the project, the modules it imports or the standard
library, found by reading code and never running it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from conftest import write
from secreview.grounding import names
from secreview.grounding.names import Lookup, NameIndex, split_identifier

REVIEWED = "nova/tests/functional/regressions/test_bug_1.py"

# A Nova-style functional test, like the file review-000 is about.
NOVA_TEST = '''\
import os

from nova.tests import fixtures as nova_fixtures
from nova.tests.functional.api import client


class TestMigrate(object):

    def setUp(self):
        self.api = client.TestOpenStackClient()
        self.flavor1 = None

    def _boot_and_check(self, flavor, host):
        source_rp_uuid = self._get_provider_uuid_by_host(host)
        source_rp_usages = self._get_provider_usages(source_rp_uuid)
        return os.path.join(source_rp_usages, flavor)
'''

CLIENT = '''\
class TestOpenStackClient(object):

    def __init__(self):
        self.auth_url = "http://localhost"

    def get_flavors(self):
        return []

    def get_server(self, server_id):
        return {}
'''

FIXTURES = '''\
class NeutronFixture(object):
    port_count = 0
'''


def nova_files() -> dict[str, str]:
    return {
        REVIEWED: NOVA_TEST,
        "nova/tests/functional/api/client.py": CLIENT,
        "nova/tests/fixtures.py": FIXTURES,
    }


def project_files(root: Path) -> dict[str, str]:
    """A project folder as the index takes it: relative path -> text."""
    return {path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
            for path in sorted(root.rglob("*.py"))}


# ---------------------------------------------------------------- names the file defines or uses

DEFINITIONS = '''\
import json as j
from os import path as p

LIMIT = 3
first, (second, *rest) = 1, (2, 3)


class Server(object):
    kind = "vm"

    def boot(self, flavor, *args, image=None, **kwargs):
        global COUNTER
        self.booted = True
        for index, item in enumerate(args):
            pass
        with open(flavor) as handle, open(image) as other:
            pass
        try:
            pass
        except ValueError as error:
            pass
        squares = [square * square for square in args]
        if (found := squares):
            pass
        return lambda tick: tick


def helper():
    return undefined_thing.somewhere(named=LIMIT)
'''


@pytest.mark.parametrize("identifier, where", [
    ("j", "imported in the file at line 1"),
    ("p", "imported in the file at line 2"),
    ("LIMIT", "assigned in the file at line 4"),
    ("first", "assigned in the file at line 5"),
    ("second", "assigned in the file at line 5"),
    ("rest", "assigned in the file at line 5"),
    ("Server", "defined in the file at line 8 (class Server)"),
    ("kind", "assigned in the file at line 9 (class attribute kind of Server)"),
    ("boot", "defined in the file at line 11 (method boot of Server)"),
    ("self.boot", "defined in the file at line 11 (method boot of Server)"),
    ("flavor", "parameter in the file at line 11 (of boot)"),
    ("args", "parameter in the file at line 11 (of boot)"),
    ("image", "parameter in the file at line 11 (of boot)"),
    ("kwargs", "parameter in the file at line 11 (of boot)"),
    ("COUNTER", "declared global in the file at line 12"),
    ("self.booted", "assigned in the file at line 13 (self.booted)"),
    ("index", "assigned in the file at line 14"),
    ("item", "assigned in the file at line 14"),
    ("handle", "assigned in the file at line 16"),
    ("other", "assigned in the file at line 16"),
    ("error", "assigned in the file at line 20"),
    ("squares", "assigned in the file at line 22"),
    ("square", "assigned in the file at line 22"),
    ("found", "assigned in the file at line 23"),
    ("tick", "parameter in the file at line 25 (of lambda)"),
    ("helper", "defined in the file at line 28 (def helper)"),
    ("helper()", "defined in the file at line 28 (def helper)"),
    ("len", "builtin (len)"),
    ("ValueError", "builtin (ValueError)"),
])
def test_names_the_file_defines(identifier: str, where: str) -> None:
    index = NameIndex({"app.py": DEFINITIONS}, search_path=[])
    assert index.lookup(identifier, "app.py") == Lookup(True, where)


@pytest.mark.parametrize("identifier, where", [
    ("undefined_thing", "used in the file at line 29"),
    ("somewhere", "attribute used in the file at line 29"),
    ("undefined_thing.somewhere", "attribute used in the file at line 29"),
    ("named", "keyword argument in the file at line 29"),
])
def test_names_only_used_in_the_file_exist(identifier: str, where: str) -> None:
    index = NameIndex({"app.py": DEFINITIONS}, search_path=[])
    assert index.lookup(identifier, "app.py") == Lookup(True, where)


def test_a_name_nowhere_does_not_exist() -> None:
    index = NameIndex(nova_files(), search_path=[])
    assert index.lookup("source_rp_usages", REVIEWED) == Lookup(True, "assigned in the file at line 15")
    assert index.lookup("dest_rp_usages", REVIEWED) == Lookup(
        False, "not defined or used in the file, the project (2 files) or the modules it imports (3 read)")


def test_builtins_count_for_plain_names_only() -> None:
    index = NameIndex({"app.py": "x = 1\n"}, search_path=[])
    assert index.lookup("sorted", "app.py") == Lookup(True, "builtin (sorted)")
    assert index.lookup("self.sorted", "app.py").exists is False
    assert index.lookup("x.sorted", "app.py").exists is False


# ---------------------------------------------------------------- attributes of unknown objects

def test_a_method_of_a_project_class_is_found() -> None:
    index = NameIndex(nova_files(), search_path=[])
    where = "defined in nova/tests/functional/api/client.py:6 (method get_flavors of TestOpenStackClient)"
    assert index.lookup("self.api.get_flavors", REVIEWED) == Lookup(True, where)
    assert index.lookup("api.get_flavors()", REVIEWED) == Lookup(True, where)
    assert index.lookup("self.api.auth_url", REVIEWED) == Lookup(
        True, "defined in nova/tests/functional/api/client.py:4 (attribute self.auth_url of TestOpenStackClient)")


@pytest.mark.parametrize("identifier", [
    "api.get_server_ext_attr", "api.get_server_ext_attr()", "self.api.get_resource_provider",
    "api.get_provider_usages", "fake_network.set_stub_network_methods",
])
def test_invented_api_methods_do_not_exist(identifier: str) -> None:
    index = NameIndex(nova_files(), search_path=[])
    assert index.lookup(identifier, REVIEWED) == Lookup(
        False, "not defined or used in the file, the project (2 files) or the modules it imports (3 read)")


def test_names_through_an_imported_project_module() -> None:
    index = NameIndex(nova_files(), search_path=[])
    assert index.lookup("nova_fixtures.NeutronFixture", REVIEWED) == Lookup(
        True, "defined in nova/tests/fixtures.py:1 (class NeutronFixture)")
    assert index.lookup("nova_fixtures.NeutronFixture.port_count", REVIEWED) == Lookup(
        True, "defined in nova/tests/fixtures.py:2 (class attribute port_count of NeutronFixture)")
    assert index.lookup("client.TestOpenStackClient.get_server", REVIEWED) == Lookup(
        True, "defined in nova/tests/functional/api/client.py:9 (method get_server of TestOpenStackClient)")
    assert index.lookup("nova_fixtures", REVIEWED) == Lookup(True, "imported in the file at line 3")
    assert index.lookup("nova_fixtures.CinderFixture", REVIEWED) == Lookup(
        False, "nova_fixtures.CinderFixture: no CinderFixture in nova/tests/fixtures.py "
               "(read from its source, not run)")
    assert index.lookup("client.TestOpenStackClient.get_server_ext_attr", REVIEWED) == Lookup(
        False, "client.TestOpenStackClient.get_server_ext_attr: no get_server_ext_attr in class "
               "TestOpenStackClient in nova/tests/functional/api/client.py (read from its source, not run)")


def test_relative_imports_are_resolved_from_the_file() -> None:
    files = nova_files()
    files[REVIEWED] = "from ...fixtures import NeutronFixture\nfrom .. import api\n"
    files["nova/tests/functional/api/__init__.py"] = ""
    index = NameIndex(files, search_path=[])
    assert index.lookup("NeutronFixture.port_count", REVIEWED) == Lookup(
        True, "defined in nova/tests/fixtures.py:2 (class attribute port_count of NeutronFixture)")
    assert index.lookup("api.client.TestOpenStackClient", REVIEWED) == Lookup(
        True, "defined in nova/tests/functional/api/client.py:1 (class TestOpenStackClient)")
    assert index.lookup("NeutronFixture.port_total", REVIEWED).exists is False


def test_a_folder_without_init_is_a_package_known_only_in_part() -> None:
    files = {"nova/tests/fixtures.py": FIXTURES,
             "app.py": "import nova.conf\nfrom nova import tests\n\nprint(nova.conf.CONF.debug)\n"}
    index = NameIndex(files, search_path=[])
    assert index.lookup("tests.fixtures.NeutronFixture", "app.py") == Lookup(
        True, "defined in nova/tests/fixtures.py:1 (class NeutronFixture)")
    assert index.lookup("tests.fixtures.CinderFixture", "app.py") == Lookup(
        False, "tests.fixtures.CinderFixture: no CinderFixture in nova/tests/fixtures.py "
               "(read from its source, not run)")
    # nova/conf.py is not among the files given: the name is looked up as an attribute.
    assert index.lookup("nova.conf.CONF", "app.py") == Lookup(True, "attribute used in the file at line 4")
    assert index.lookup("nova.conf.OPTS", "app.py") == Lookup(
        False, "not defined or used in the file, the project (1 file) or the modules it imports (2 read)")


# ---------------------------------------------------------------- the standard library

def test_standard_library_names_are_read_from_source() -> None:
    index = NameIndex({"app.py": "import os\nimport json\n"})
    posix = os.path.__name__  # the module os binds to `path` on this system
    assert index.lookup("os.path.join", "app.py") == Lookup(
        True, f"standard library (os.path.join: def join in {posix})")
    assert index.lookup("json.dumps", "app.py") == Lookup(True, "standard library (json.dumps: def dumps in json)")
    assert index.lookup("json.decoder.JSONDecodeError", "app.py") == Lookup(
        True, "standard library (json.decoder.JSONDecodeError: class JSONDecodeError in json.decoder)")
    assert index.lookup("os.path", "app.py") == Lookup(True, f"standard library (os.path: module {posix})")


def test_a_missing_standard_library_member_does_not_exist() -> None:
    index = NameIndex({"app.py": "import os\nimport json\n"})
    posix = os.path.__name__
    assert index.lookup("os.path.no_such_thing", "app.py") == Lookup(
        False, f"os.path.no_such_thing: no no_such_thing in standard library module {posix} "
               "(read from its source, not run)")
    assert index.lookup("json.dumpz", "app.py") == Lookup(
        False, "json.dumpz: no dumpz in standard library module json (read from its source, not run)")


def test_a_missing_member_the_file_itself_uses_passes() -> None:
    index = NameIndex({"app.py": "import os\n\nos.path.made_up(1)\n"})
    assert index.lookup("os.path.made_up", "app.py") == Lookup(
        True, f"used in the file at line 3 (not found in standard library module {os.path.__name__})")


def test_the_standard_library_is_found_without_it_on_the_search_path(tmp_path: Path) -> None:
    index = NameIndex({"app.py": "import json\n"}, search_path=[str(tmp_path)])
    assert index.lookup("json.dumps", "app.py") == Lookup(True, "standard library (json.dumps: def dumps in json)")


def test_compiled_modules_exist_but_are_not_checked() -> None:
    index = NameIndex({"app.py": "import math\nimport sys\n"})
    assert index.lookup("math.sqrt", "app.py") == Lookup(
        True, "standard library (math.sqrt: compiled module, members not checked)")
    assert index.lookup("sys.argv", "app.py") == Lookup(
        True, "standard library (sys.argv: compiled module, members not checked)")
    # Only for names reached through the module: a bare name is not taken on trust.
    assert index.lookup("no_such_function", "app.py").exists is False


# ---------------------------------------------------------------- inheritance

TEST_BASE = '''\
import unittest


class BaseTest(unittest.TestCase):

    def setUp(self):
        super().setUp()
        self.started = True
'''

TEST_CASE = '''\
from tests import base


class TestServers(base.BaseTest):

    def test_boot(self):
        self.check(self.started)
'''


def test_assertions_are_inherited_from_unittest(tmp_path: Path) -> None:
    write(tmp_path, "tests/base.py", TEST_BASE)
    write(tmp_path, "tests/test_servers.py", TEST_CASE)
    index = NameIndex(project_files(tmp_path))
    assert index.lookup("self.assertEqual", "tests/test_servers.py") == Lookup(
        True, "standard library (method assertEqual of TestCase in unittest.case, inherited by TestServers)")
    assert index.lookup("self.assertRaisesRegex()", "tests/test_servers.py") == Lookup(
        True, "standard library (method assertRaisesRegex of TestCase in unittest.case, inherited by TestServers)")
    assert index.lookup("self.started", "tests/test_servers.py") == Lookup(
        True, "attribute used in the file at line 7")
    assert index.lookup("self.assertServerBooted", "tests/test_servers.py") == Lookup(
        False, "not defined or used in the file, the project (1 file) or the modules it imports (1 read)")
    assert index.lookup("base.BaseTest.assertIn", "tests/test_servers.py") == Lookup(
        True, "standard library (base.BaseTest.assertIn: method assertIn of TestCase in unittest.case)")


def test_members_of_builtin_base_classes(tmp_path: Path) -> None:
    index = NameIndex({"app.py": "class Registry(dict):\n    pass\n"}, search_path=[])
    assert index.lookup("self.setdefault", "app.py") == Lookup(True, "builtin (dict.setdefault, inherited by Registry)")
    assert index.lookup("self.append", "app.py").exists is False


def test_a_class_deriving_from_an_unreadable_base(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    write(lib, "widgets.py", "import notinstalled\n\n\nclass Widget(notinstalled.Base):\n    size = 1\n")
    index = NameIndex({"app.py": "import widgets\n"}, search_path=[str(lib)])
    assert index.lookup("widgets.Widget.size", "app.py") == Lookup(
        True, "in module widgets (class attribute size of Widget, read from its source, not run)")
    assert index.lookup("widgets.Widget.render", "app.py") == Lookup(
        True, "in module widgets (class Widget derives from notinstalled.Base, which could not be read; "
              "members not checked)")
    assert index.lookup("render", "app.py") == Lookup(
        False, "not defined or used in the file, the project (0 files) or the modules it imports (1 read)")


# ---------------------------------------------------------------- re-exports

def test_a_star_import_is_followed(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    write(lib, "starlib/__init__.py", "from starlib._impl import *\n")
    write(lib, "starlib/_impl.py", "def shiny():\n    pass\n")
    files = {"app.py": "import starlib\n", "other.py": "from starlib import *\n"}
    index = NameIndex(files, search_path=[str(lib)])
    found = Lookup(True, "in module starlib._impl (def shiny, read from its source, not run)")
    assert index.lookup("starlib.shiny", "app.py") == found
    assert index.lookup("shiny", "other.py") == found
    assert index.lookup("starlib.dull", "app.py") == Lookup(
        False, "starlib.dull: no dull in module starlib (read from its source, not run)")
    assert index.lookup("dull", "other.py") == Lookup(
        False, "not defined or used in the file, the project (1 file) or the modules it imports (1 read)")


def test_a_package_init_re_export_is_followed(tmp_path: Path) -> None:
    write(tmp_path, "pkg/api/__init__.py", "from .client import TestOpenStackClient\n")
    write(tmp_path, "pkg/api/client.py", CLIENT)
    write(tmp_path, "pkg/test_it.py", "from pkg import api\n")
    index = NameIndex(project_files(tmp_path), search_path=[])
    assert index.lookup("api.TestOpenStackClient.get_flavors", "pkg/test_it.py") == Lookup(
        True, "defined in pkg/api/client.py:6 (method get_flavors of TestOpenStackClient)")
    assert index.lookup("api.TestOpenStackClient", "pkg/test_it.py") == Lookup(
        True, "defined in pkg/api/client.py:1 (class TestOpenStackClient)")
    assert index.lookup("api.TestOpenStackClient.get_server_ext_attr", "pkg/test_it.py") == Lookup(
        False, "api.TestOpenStackClient.get_server_ext_attr: no get_server_ext_attr in class "
               "TestOpenStackClient in pkg/api/client.py (read from its source, not run)")


def test_a_module_with_getattr_is_taken_on_trust_only_through_its_name(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    write(lib, "lazy.py", "def __getattr__(name):\n    return name\n")
    index = NameIndex({"app.py": "import lazy\n"}, search_path=[str(lib)])
    assert index.lookup("lazy.anything", "app.py") == Lookup(
        True, "in module lazy (module defines __getattr__, members not checked)")
    assert index.lookup("anything", "app.py").exists is False


# ---------------------------------------------------------------- never run

EVIL = '''\
import pathlib
pathlib.Path({marker!r}).write_text("executed")
raise SystemExit("this module must never run")


def harmless():
    pass


class Thing(object):
    def method(self):
        pass
'''


def test_library_modules_are_read_never_run(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    marker = tmp_path / "marker"
    write(lib, "evil/__init__.py", EVIL.format(marker=str(marker)))
    write(lib, "evil/sub.py", EVIL.format(marker=str(marker)))
    files = {"app.py": "import evil\nfrom evil import sub\nfrom evil.sub import Thing\n"}
    index = NameIndex(files, search_path=[str(lib)])
    assert index.lookup("evil.harmless", "app.py") == Lookup(
        True, "in module evil (def harmless, read from its source, not run)")
    assert index.lookup("sub.Thing.method", "app.py") == Lookup(
        True, "in module evil.sub (method method of Thing, read from its source, not run)")
    assert index.lookup("evil.sub.harmless", "app.py") == Lookup(
        True, "in module evil.sub (def harmless, read from its source, not run)")
    assert index.lookup("self.method", "app.py") == Lookup(  # the first import that has it
        True, "in module evil (method method of Thing, read from its source, not run)")
    assert index.lookup("evil.harmful", "app.py") == Lookup(
        False, "evil.harmful: no harmful in module evil (read from its source, not run)")
    assert not marker.exists()
    assert "evil" not in sys.modules and "evil.sub" not in sys.modules
    assert sorted(p.name for p in (lib / "evil").iterdir()) == ["__init__.py", "sub.py"]  # no __pycache__


def test_default_search_path_finds_installed_packages() -> None:
    index = NameIndex({"app.py": "import click\n"})
    found = index.lookup("click.echo", "app.py")
    assert found.exists is True
    assert found.where.startswith("in module click")
    assert found.where.endswith("(def echo, read from its source, not run)")
    assert index.lookup("click.no_such_thing", "app.py").where != found.where


# ---------------------------------------------------------------- files that do not parse

def test_an_unparsable_project_file_is_skipped() -> None:
    files = nova_files()
    files["nova/broken.py"] = "def broken(:\n    only_in_the_broken_file = 1\n"
    files["nova/tests/py2.py"] = 'print "python 2"\n'
    index = NameIndex(files, search_path=[])
    assert index.lookup("self.api.get_flavors", REVIEWED).exists is True
    assert index.lookup("only_in_the_broken_file", REVIEWED) == Lookup(
        False, "not defined or used in the file, the project (4 files) or the modules it imports (3 read)")


def test_an_unparsable_reviewed_file_is_searched_word_by_word() -> None:
    files = {"old.py": 'import os\nprint "booting", os.getcwd()\n', "client.py": CLIENT}
    index = NameIndex(files, search_path=[])
    assert index.lookup("os.getcwd", "old.py") == Lookup(
        True, "appears in the file at line 2 (the file does not parse: matched as a word)")
    assert index.lookup("self.get_flavors", "old.py") == Lookup(
        True, "defined in client.py:6 (method get_flavors of TestOpenStackClient)")
    assert index.lookup("os.getenv", "old.py") == Lookup(
        False, "not defined or used in the file, the project (1 file) or the modules it imports (0 read); "
               "the file does not parse")


def test_an_unparsable_library_module_is_not_found(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    write(lib, "oldlib.py", 'print "python 2"\ndef helper():\n    pass\n')
    index = NameIndex({"app.py": "import oldlib\n"}, search_path=[str(lib)])
    assert index.lookup("oldlib.helper", "app.py") == Lookup(
        False, "not defined or used in the file, the project (0 files) or the modules it imports (0 read); "
               "not found: oldlib")


# ---------------------------------------------------------------- bounds and input

def test_reading_stops_at_the_module_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lib = tmp_path / "lib"
    write(lib, "one.py", "def first():\n    pass\n")
    write(lib, "two.py", "def second():\n    pass\n")
    monkeypatch.setattr(names, "MAX_MODULES", 1)
    index = NameIndex({"app.py": "import one\nimport two\n"}, search_path=[str(lib)])
    assert index.lookup("one.first", "app.py") == Lookup(
        True, "in module one (def first, read from its source, not run)")
    assert index.lookup("second", "app.py") == Lookup(
        False, "not defined or used in the file, the project (0 files) or the modules it imports (1 read); "
               "not found: two; stopped reading modules after 1")


@pytest.mark.parametrize("identifier, parts", [
    ("dest_rp_uuid", (["dest_rp_uuid"], False)),
    ("self.api.get_flavors", (["api", "get_flavors"], True)),
    ("cls.registry", (["registry"], True)),
    (" api.get_server_ext_attr() ", (["api", "get_server_ext_attr"], False)),
    ("self.api.post_server_action(server['id'], f(req))", (["api", "post_server_action"], True)),
    ("self", (["self"], False)),
])
def test_split_identifier(identifier: str, parts: tuple[list[str], bool]) -> None:
    assert split_identifier(identifier) == parts


@pytest.mark.parametrize("identifier", ["server['id']", "OS-EXT-SRV-ATTR:host", "", "a..b", "f(x).y", "2fast"])
def test_text_that_is_not_an_identifier_is_refused(identifier: str) -> None:
    with pytest.raises(ValueError, match="not a Python identifier"):
        NameIndex({"app.py": ""}, search_path=[]).lookup(identifier, "app.py")


def test_the_file_must_be_in_the_index() -> None:
    with pytest.raises(KeyError, match="not a file of the index: missing.py"):
        NameIndex({"app.py": ""}, search_path=[]).lookup("x", "missing.py")


def test_a_module_the_file_does_not_import_is_read_for_a_proposed_fix() -> None:
    files = {"app.py": "def view(name):\n    return '<p>' + name\n"}
    index = NameIndex(files)
    assert index.lookup("html.escape", "app.py") == Lookup(True, "standard library (html.escape: def escape in html)")
    assert index.lookup("html.escape_everything", "app.py").exists is False
    # A local name is not mistaken for a module.
    files = {"app.py": "def view(html):\n    return html.render()\n"}
    assert NameIndex(files).lookup("html.escape", "app.py").exists is False
