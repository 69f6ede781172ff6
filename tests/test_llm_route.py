"""Routing the LLM reviewer: which weakness families a file's features make relevant."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from secreview.cwe import is_known_cwe
from secreview.llm.route import Family, FamilyError, format_families, load_families, relevant_families

ALWAYS = ["hardcoded-secrets", "prompt-injection"]  # by first CWE: 798, 1427
WEB = ["xss", "header-injection", "exception-exposure", "csrf", "open-redirect", "authorization"]

FLASK_SQL = '''\
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args.get("name", "")
    conn = sqlite3.connect("app.db")
    row = conn.execute("SELECT id, email FROM users WHERE name = '%s'" % name).fetchone()
    return {"id": row[0], "email": row[1]} if row else ("not found", 404)
'''

# Safe look-alikes on purpose: prose that starts like SQL, re with literal patterns,
# .copy()/.replace(), a `compile` attribute, filenames in angle brackets.
STRING_HELPERS = '''\
"""String helpers. Select the words from a text and open up spacing."""

import re
import string
import unicodedata
from textwrap import shorten

_SPACES = re.compile(r"\\s+")
_NON_WORD = re.compile(r"[^\\w\\s-]")


def slugify(value: str) -> str:
    """Select ascii letters from `value`; join words with dashes."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = _NON_WORD.sub("", value).strip().lower()
    return re.sub(r"[-\\s]+", "-", value)


def collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def title_words(text: str, keep: frozenset[str] = frozenset({"a", "of"})) -> str:
    words = [w if w in keep else w.capitalize() for w in text.split()]
    return " ".join(words)


def truncate(text: str, width: int = 40) -> str:
    return shorten(text, width=width, placeholder="...")


def strip_punctuation(text: str) -> str:
    table = dict.fromkeys(map(ord, string.punctuation))
    return text.translate(table)


def describe(source: str = "<input>") -> str:
    options = {"sep": ", "}.copy()
    return f"{source}: {options['sep'].join(sorted(set(source)))}".replace("  ", " ")
'''

SUBPROCESS_SCRIPT = '''\
import argparse
import subprocess


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    args = parser.parse_args()
    return subprocess.run(f"ping -c 1 {args.host}", shell=True, check=False).returncode
'''


def ids(text: str, tree: ast.AST | None = None) -> list[str]:
    return [family.id for family in relevant_families(text, tree)]


# ---------------------------------------------------------------- routing

def test_flask_view_with_sqlite_query_gets_sql_web_and_always_on_families_in_cwe_order() -> None:
    assert ids(FLASK_SQL) == ["xss", "sql-injection", "header-injection", "exception-exposure", "csrf",
                              "open-redirect", "hardcoded-secrets", "authorization", "prompt-injection"]
    assert set(ids(FLASK_SQL)) == {"sql-injection", *WEB, *ALWAYS}


def test_a_given_tree_is_used_instead_of_parsing_the_text() -> None:
    assert ids(FLASK_SQL, ast.parse(FLASK_SQL)) == ids(FLASK_SQL)
    # The tree decides imports and calls; the text still feeds the text cues.
    assert ids("x = 1\n", ast.parse("import pickle\n")) == ["deserialization", *ALWAYS]


def test_plain_string_helpers_get_only_the_always_on_families() -> None:
    assert ids(STRING_HELPERS) == ALWAYS


def test_subprocess_script_gets_command_injection_and_not_sql() -> None:
    assert ids(SUBPROCESS_SCRIPT) == ["command-injection", *ALWAYS]


@pytest.mark.parametrize("source, expected", [
    # Constant keyword values must match in value and type; a bare cue name takes any value.
    ("def go(run, cmd):\n    run(cmd, shell=True)\n", ["command-injection"]),
    ("def go(run, cmd):\n    run(cmd, shell=False)\n", []),
    ("def go(run, cmd):\n    run(cmd, shell=1)\n", []),
    ("def go(get, url, conf):\n    get(url, verify=conf.verify)\n", ["weak-tls"]),
    # Dotted call cues resolve import aliases; undotted ones match the last name.
    ("import os\nos.system('ls')\n", ["command-injection"]),
    ("from os import system as run\nrun('ls')\n", ["command-injection"]),
    ("def go(shell):\n    shell.system('ls')\n", []),
    # `compile` is code injection only as the builtin.
    ("def go(src):\n    return compile(src, '<s>', 'exec')\n", ["code-injection"]),
    ("import re\nWORD = re.compile('[a-z]+')\n", []),
    # A regular expression is a ReDoS question when it is not a literal, or nests quantifiers.
    ("import re\ndef go(p, s):\n    return re.search(p, s)\n", ["regex-dos"]),
    ("import re\ndef go(s):\n    return re.search(r'(\\w+\\s?)*$', s)\n", ["regex-dos"]),
    # aiohttp is a client and a server: ClientSession is SSRF, aiohttp.web is web code.
    ("import aiohttp\nasync def go(url):\n    async with aiohttp.ClientSession() as s:\n"
     "        return await s.get(url)\n", ["ssrf"]),
    ("from aiohttp import web\nasync def hello(request):\n    return web.Response(text='hi')\n", WEB),
    # Web code known only by its decorators (OpenStack API controllers).
    ("from nova.api.openstack import wsgi\nclass C:\n    @wsgi.expected_errors(404)\n"
     "    def show(self, req, id):\n        return {}\n", WEB),
    # Imports count wherever they are.
    ("def load(blob):\n    import pickle\n    return pickle.loads(blob)\n", ["deserialization"]),
    ("from xmlrpc import client\n", []),
    ("from xml.etree import ElementTree\n", ["xxe"]),
])
def test_cues(source: str, expected: list[str]) -> None:
    assert set(ids(source)) == {*expected, *ALWAYS}


def test_yaml_safe_load_is_not_a_deserialization_cue_but_yaml_load_is() -> None:
    assert ids("import yaml\ndef read(s):\n    return yaml.safe_load(s)\n") == ALWAYS
    assert ids("import json\ndef read(f):\n    return json.load(f)\n") == ALWAYS
    assert ids("import yaml\ndef read(s):\n    return yaml.load(s)\n") == ["deserialization", *ALWAYS]
    assert ids("from yaml import load as yload\ndef read(s):\n    return yload(s)\n") == ["deserialization",
                                                                                           *ALWAYS]


def test_a_file_that_does_not_parse_is_routed_on_text_cues_only() -> None:
    broken = 'import subprocess\ndef f(:\n    q = "SELECT * FROM users WHERE id = %s" % uid\n'
    assert ids(broken) == ["sql-injection", *ALWAYS]


def test_format_families_gives_one_bullet_per_family() -> None:
    families = [Family("sql-injection", "SQL injection", (89,), "Is SQL built from data?"),
                Family("authorization", "Missing authorization", (862, 863), "Is access checked?")]
    assert format_families(families) == ("- SQL injection (CWE-89): Is SQL built from data?\n"
                                         "- Missing authorization (CWE-862, CWE-863): Is access checked?")
    assert format_families([]) == ""


# ---------------------------------------------------------------- the data

def test_bundled_families_are_cached_and_well_formed() -> None:
    routed = load_families()
    assert load_families() is routed
    assert [r.family.id for r in routed if r.always] == ["hardcoded-secrets", "prompt-injection"]
    assert all(r.always or r.cues for r in routed)


def test_every_bundled_cwe_is_in_the_catalogue() -> None:
    cwes = {cwe for routed in load_families() for cwe in routed.family.cwes}
    assert sorted(cwe for cwe in cwes if not is_known_cwe(cwe)) == []
    assert 1427 in cwes  # newer than the cwe2 catalogue: known through secreview.cwe.NEWER_CWES


GOOD = 'title = "T"\ncwes = [89]\nquestion = "Q?"\n'


@pytest.mark.parametrize("body, message", [
    ("[sql-injection\n", "not valid TOML"),
    ("[sql-injection]\n" + GOOD + 'import = ["sqlite3"]\n', "[sql-injection]: unknown key(s) ['import']"),
    ('[sql-injection]\ntitle = "T"\ncwes = [89]\nimports = ["x"]\n', "[sql-injection] question:"),
    ('[sql-injection]\ntitle = "T"\ncwes = ["89"]\nquestion = "Q?"\nimports = ["x"]\n', "[sql-injection] cwes:"),
    ("[sql-injection]\n" + GOOD + "imports = \"sqlite3\"\n", "[sql-injection] imports:"),
    ("[sql-injection]\n" + GOOD + "text = ['(unclosed']\n", "[sql-injection] text: bad regular expression"),
    ("[sql-injection]\n" + GOOD + 'keywords = ["shell=maybe"]\n', "[sql-injection] keywords:"),
    ("[sql-injection]\n" + GOOD + 'always = "yes"\n', "[sql-injection] always:"),
    ("[sql-injection]\n" + GOOD + 'uses = ["web"]\n', "[sql-injection] uses: unknown cue set 'web'"),
    ("[sql-injection]\n" + GOOD, "[sql-injection]: no cues"),
    ("[cue-sets.web]\nimport = [\"flask\"]\n", "[cue-sets.web]: unknown key(s) ['import']"),
    ('sql-injection = 1\n', "[sql-injection] must be a table"),
])
def test_malformed_families_file_names_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "families.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(FamilyError) as caught:
        load_families(str(path))
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_a_custom_file_loads_cue_sets_and_keywords(tmp_path: Path) -> None:
    path = tmp_path / "families.toml"
    path.write_text('[cue-sets.web]\nimports = ["flask"]\n\n'
                    '[csrf]\ntitle = "CSRF"\ncwes = [352]\nquestion = "Token?"\nuses = ["web"]\n'
                    'keywords = ["csrf=False"]\n', encoding="utf-8")
    (routed,) = load_families(str(path))
    assert routed.family == Family("csrf", "CSRF", (352,), "Token?")
    assert routed.always is False
    assert [cues.imports for cues in routed.cues] == [("flask",), ()]
    assert [cues.keywords for cues in routed.cues] == [(), (("csrf", False),)]
