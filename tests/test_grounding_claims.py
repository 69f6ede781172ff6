"""The review parser of the grounding library: a free-text review (prose,
Markdown, GitHub or Gerrit JSON) split into claims, each with the lines,
code, identifiers, fix, CWEs and hedges it states, and the review's verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secreview.grounding.claims import HEDGES, MAX_LINE_RANGE, code_names, parse_claim, parse_review, review_verdict
from secreview.grounding.model import ReviewVerdict

SEEDS = Path(__file__).parent / "data" / "seeds"
CLEAN = ReviewVerdict.CLEAN
DEFECTS = ReviewVerdict.DEFECTS
UNSTATED = ReviewVerdict.UNSTATED


def seed(name: str) -> str:
    return (SEEDS / f"{name}.txt").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# The seeds
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def review_000():
    return parse_review(seed("review-000"))


@pytest.fixture(scope="module")
def review_004():
    return parse_review(seed("review-004"))


def test_review_000_verdict_is_its_first_statement(review_000):
    # It then says "there are a few potential security-related issues": the
    # audit reports that contradiction; the verdict keeps the clean sentence.
    assert review_000.verdict is CLEAN
    assert review_000.verdict_text == "No security defects are detected in the code."


def test_review_000_has_six_numbered_claims(review_000):
    assert [c.index for c in review_000.claims] == [1, 2, 3, 4, 5, 6]
    assert [c.title for c in review_000.claims] == [
        "Insecure Direct Object Reference (IDOR)", "Insecure Use of Admin API", "Insecure Use of Flavor IDs",
        "Insecure Use of Server IDs", "Insecure Use of Resource Provider UUIDs", "Insecure Use of Provider Usages"]
    assert [c.lines for c in review_000.claims] == [[40], [42], [30], [59], [69], [79]]
    assert [c.is_defect for c in review_000.claims] == [True] * 6
    assert [c.path for c in review_000.claims] == [None] * 6
    assert [c.side for c in review_000.claims] == [None] * 6
    assert [c.cwes for c in review_000.claims] == [[]] * 6


def test_review_000_summary_and_verdict_are_not_claims(review_000):
    for claim in review_000.claims:
        assert "In summary" not in claim.text
        assert "No security defects" not in claim.text
        assert "However, there are" not in claim.text
    assert review_000.claims[-1].text.endswith("instead of hardcoding the `dest_rp_usages`.")


def test_review_000_claim_1(review_000):
    claim = review_000.claims[0]
    assert claim.text == (
        "Insecure Direct Object Reference (IDOR):\n"
        "In line 40, `self.assertEqual(dest_host, server['OS-EXT-SRV-ATTR:host'])`, the `OS-EXT-SRV-ATTR:host` "
        "attribute is directly accessed without proper authorization. To avoid IDOR, consider using the "
        "`api.get_server_ext_attr()` method instead to retrieve the `host` attribute securely.")
    assert claim.quotes == ["self.assertEqual(dest_host, server['OS-EXT-SRV-ATTR:host'])", "OS-EXT-SRV-ATTR:host",
                            "api.get_server_ext_attr()", "host"]
    # `OS-EXT-SRV-ATTR:host` does not parse and has no code-like token: no names from it.
    assert claim.identifiers == ["self.assertEqual", "dest_host", "server", "api.get_server_ext_attr", "host"]
    # `host` is what the fix retrieves, not what it proposes.
    assert claim.fix_identifiers == ["api.get_server_ext_attr"]
    assert claim.fix == ("To avoid IDOR, consider using the `api.get_server_ext_attr()` method instead to "
                         "retrieve the `host` attribute securely.")
    assert claim.hedges == ["proper authorization"]


def test_review_000_claim_6(review_000):
    claim = review_000.claims[5]
    assert claim.quotes == ["dest_rp_usages = self._get_provider_usages(dest_rp_uuid)", "dest_rp_usages",
                            "api.get_provider_usages()"]
    assert claim.identifiers == ["dest_rp_usages", "self._get_provider_usages", "dest_rp_uuid",
                                 "api.get_provider_usages"]
    # "instead of hardcoding the `dest_rp_usages`" names what is replaced.
    assert claim.fix_identifiers == ["api.get_provider_usages"]


def test_review_000_every_fix(review_000):
    assert [c.fix_identifiers for c in review_000.claims] == [
        ["api.get_server_ext_attr"], ["api.post_server_action"], ["api.get_flavors"], ["api.get_server"],
        ["api.get_resource_provider"], ["api.get_provider_usages"]]
    assert review_000.claims[1].identifiers == ["self.api.post_server_action", "server", "req",
                                                "api.post_server_action"]
    assert review_000.claims[3].identifiers == ["server", "self._boot_and_check_allocations", "self.flavor1",
                                                "api.get_server"]
    assert review_000.claims[1].fix == ("To avoid this, consider using the `api.post_server_action()` method with "
                                        "the appropriate authentication and authorization mechanisms.")


def test_review_000_hedges(review_000):
    assert [c.hedges for c in review_000.claims] == [
        ["proper authorization"],
        ["proper authorization", "appropriate authentication and authorization mechanisms"],
        ["proper authorization", "appropriate authentication and authorization mechanisms"],
        ["proper authorization"], ["proper authorization"], ["proper authorization"]]


def test_review_004_verdict_is_in_its_conclusion_list(review_004):
    assert review_004.verdict is CLEAN
    assert review_004.verdict_text == "No security defects are detected in the code."


def test_review_004_has_six_observations_none_a_defect(review_004):
    assert [c.title for c in review_004.claims] == [
        "Use of Hardcoded Credentials", "Input Validation", "Network Security Configurations",
        "Error Handling and Logging", "Access Controls", "Hardcoded Image UUID and Flavor"]
    assert [c.is_defect for c in review_004.claims] == [False] * 6
    assert [c.fix for c in review_004.claims] == [""] * 6
    assert [c.fix_identifiers for c in review_004.claims] == [[]] * 6
    assert [c.lines for c in review_004.claims] == [[]] * 6
    assert [c.cwes for c in review_004.claims] == [[]] * 6


def test_review_004_conclusion_and_introduction_are_not_claims(review_004):
    for claim in review_004.claims:
        assert "Based on this review" not in claim.text
        assert "No security defects" not in claim.text
        assert "well-designed for its purpose" not in claim.text
        assert "here are the findings" not in claim.text
    assert review_004.claims[-1].text.endswith("kept up to date with secure and supported versions.")


def test_review_004_identifiers(review_004):
    assert [c.identifiers for c in review_004.claims] == [
        [],
        ["_boot_servers", "num_servers", "flavor_id", "image_uuid", "self.api.get_flavors"],
        ["fake_network.set_stub_network_methods", "self"],
        ["NoValidHost"],
        ["policy_fixture.RealPolicyFixture"],
        ["image_uuid", "_boot_servers"]]
    assert review_004.claims[1].quotes == ["_boot_servers", "num_servers", "flavor_id", "image_uuid",
                                           "self.api.get_flavors()"]


def test_review_004_hedges(review_004):
    assert [c.hedges for c in review_004.claims] == [
        [], ["seem to"], [], [], [], ["generally", "it is important to ensure"]]


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------

MARKDOWN = """# Security review of app.py

I found 2 vulnerabilities.

## SQL injection (CWE-89)

Line 12 builds the query with an f-string:

```python
cur.execute(f"SELECT * FROM users WHERE id = {user_id}")
```

Use parameterized queries: `cur.execute("SELECT * FROM users WHERE id = ?", (user_id,))`.

## Hardcoded secret

`SECRET_KEY = "dev"` on line 3 is a hardcoded secret. Load it from the environment with `os.environ.get()` instead.

## Summary

Fix both before merging.
"""


def test_markdown_headings_and_fenced_blocks():
    review = parse_review(MARKDOWN)
    assert review.verdict is DEFECTS
    assert review.verdict_text == "I found 2 vulnerabilities."
    assert [c.title for c in review.claims] == ["SQL injection (CWE-89)", "Hardcoded secret"]
    sql, secret = review.claims
    assert sql.lines == [12]
    assert sql.cwes == [89]
    assert sql.quotes == ['cur.execute(f"SELECT * FROM users WHERE id = {user_id}")',
                          'cur.execute("SELECT * FROM users WHERE id = ?", (user_id,))']
    assert sql.identifiers == ["cur.execute", "user_id"]  # never "SELECT", "users" or "id" from the string
    assert sql.fix == 'Use parameterized queries: `cur.execute("SELECT * FROM users WHERE id = ?", (user_id,))`.'
    assert sql.fix_identifiers == []  # the fix only reuses names the claim already cites
    assert sql.is_defect
    assert secret.lines == [3]
    assert secret.identifiers == ["SECRET_KEY", "os.environ.get"]
    assert secret.fix_identifiers == ["os.environ.get"]
    assert secret.fix == "Load it from the environment with `os.environ.get()` instead."
    assert secret.is_defect
    assert all("Fix both before merging" not in c.text for c in review.claims)


def test_list_markers_inside_a_fence_are_not_items_and_nested_lists_belong_to_their_item():
    review = parse_review("- **Shell**: line 3\n"
                          "  - sub point about `os.system`\n"
                          "    ```\n"
                          "    1. not an item\n"
                          "    - nor this\n"
                          "    ```\n"
                          "- **TLS**: line 9\n")
    assert [c.title for c in review.claims] == ["Shell", "TLS"]
    assert review.claims[0].quotes == ["os.system", "1. not an item\n- nor this"]
    assert [c.lines for c in review.claims] == [[3], [9]]


def test_numbered_headings_keep_their_own_lists():
    review = parse_review("### 1. SQL injection\n"
                          "- Where: line 12\n"
                          "- Fix: use `cur.execute(q, params)`\n"
                          "\n"
                          "### 2. XSS\n"
                          "Line 30 renders `name` unescaped.\n")
    assert [c.title for c in review.claims] == ["SQL injection", "XSS"]
    assert [c.lines for c in review.claims] == [[12], [30]]
    assert review.claims[0].fix == "Fix: use `cur.execute(q, params)`"
    assert review.claims[0].fix_identifiers == ["cur.execute", "q", "params"]
    assert [c.is_defect for c in review.claims] == [True, True]


def test_a_heading_over_a_list_is_a_container_and_a_conclusion_list_is_not_claims():
    review = parse_review("## Findings\n\n1. `a()` on line 1\n2. `b()` on line 2\n\n"
                          "## Conclusion\n\n- There are two issues; also `c()` on line 3\n")
    assert [c.text for c in review.claims] == ["`a()` on line 1", "`b()` on line 2"]
    assert review.verdict is DEFECTS
    assert review.verdict_text == "There are two issues; also `c()` on line 3"


def test_bold_numbered_findings_without_list_markers():
    review = parse_review("**1. SQL Injection**: line 12 builds SQL.\n**2. Hardcoded key**: line 4.\n")
    assert [c.title for c in review.claims] == ["SQL Injection", "Hardcoded key"]
    assert [c.lines for c in review.claims] == [[12], [4]]


def test_a_paragraph_after_a_tight_list_is_a_summary_not_part_of_the_last_item():
    review = parse_review("1. SQL injection on line 12\n2. Weak hash on line 20\n\n"
                          "Nothing else stood out, so there are two issues.\n")
    assert [c.text for c in review.claims] == ["SQL injection on line 12", "Weak hash on line 20"]
    assert review.verdict is DEFECTS
    assert review.verdict_text == "Nothing else stood out, so there are two issues."


def test_paragraphs_between_items_of_a_loose_list_belong_to_the_item_before():
    review = parse_review("Findings:\n\n1. SQL injection on line 12\n\nThe query is built with `q % name`.\n\n"
                          "2. Weak hash on line 20\n\n`hashlib.md5(pw)` hashes passwords.\n\n"
                          "No other issues were found.\n")
    assert [c.text for c in review.claims] == [
        "SQL injection on line 12\n\nThe query is built with `q % name`.",
        "Weak hash on line 20\n\n`hashlib.md5(pw)` hashes passwords."]
    assert review.verdict is CLEAN
    assert review.verdict_text == "No other issues were found."


def test_prose_paragraphs_that_cite_a_line_or_quote_code_are_the_claims():
    review = parse_review("I reviewed the login view and found 1 vulnerability.\n\n"
                          "The view on line 12 passes `request.args['id']` to `cursor.execute()` unescaped.\n\n"
                          "Separately, I like the structure.\n\n"
                          "Use `cursor.execute(sql, params)` instead.\n\n"
                          "In summary, fix the query on line 12 `cursor.execute`.\n")
    assert [c.text for c in review.claims] == [
        "The view on line 12 passes `request.args['id']` to `cursor.execute()` unescaped.",
        "Use `cursor.execute(sql, params)` instead."]
    assert [c.index for c in review.claims] == [1, 2]
    assert review.claims[0].identifiers == ["request.args", "cursor.execute"]
    assert review.claims[1].fix_identifiers == ["cursor.execute", "sql", "params"]
    assert review.verdict is DEFECTS
    assert review.verdict_text == "I reviewed the login view and found 1 vulnerability."


def test_windows_line_endings():
    review = parse_review(seed("review-000").replace("\n", "\r\n"))
    assert review.verdict_text == "No security defects are detected in the code."
    assert [c.lines for c in review.claims] == [[40], [42], [30], [59], [69], [79]]
    assert "\r" not in review.claims[0].text


# ---------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------

def test_github_comment_list():
    comments = [
        {"path": "nova/api.py", "line": 42, "start_line": 40, "side": "RIGHT",
         "body": "**SQL injection**: `cur.execute(q % name)` builds SQL from input. "
                 "Use `cur.execute(q, (name,))` instead."},
        {"path": "nova/api.py", "line": None, "original_line": 7, "side": "LEFT",
         "body": "This removed check of `is_admin` matters; see also line 9."},
        {"path": "README.md", "body": "Typo."},
    ]
    review = parse_review(json.dumps(comments, indent=2))
    assert review.verdict is UNSTATED
    assert review.verdict_text == ""
    first, second, third = review.claims
    assert (first.index, first.path, first.lines, first.side) == (1, "nova/api.py", [40, 41, 42], "new")
    assert first.title == "SQL injection"
    assert first.fix == "Use `cur.execute(q, (name,))` instead."
    assert first.fix_identifiers == []
    assert first.is_defect
    assert (second.path, second.lines, second.side) == ("nova/api.py", [7, 9], "old")
    assert (third.path, third.lines, third.side, third.is_defect) == ("README.md", [], None, False)


def test_github_review_object_carries_the_verdict():
    review = parse_review(json.dumps({"body": "I found 1 vulnerability.",
                                      "comments": [{"path": "a.py", "line": 3, "body": "`eval(x)` is unsafe"}]}))
    assert review.verdict is DEFECTS
    assert review.verdict_text == "I found 1 vulnerability."
    assert [(c.path, c.lines, c.identifiers, c.is_defect) for c in review.claims] == [
        ("a.py", [3], ["eval", "x"], True)]


def test_github_suggestion_block_is_the_fix():
    review = parse_review(json.dumps([{"path": "ping.py", "line": 3, "side": "RIGHT", "body":
                                       "Shell injection.\n```suggestion\n    subprocess.run(['ping', host])\n```"}]))
    claim = review.claims[0]
    assert claim.quotes == ["    subprocess.run(['ping', host])"]
    assert claim.fix == "```suggestion\n    subprocess.run(['ping', host])\n```"
    assert claim.fix_identifiers == ["subprocess.run", "host"]


def test_gerrit_comment_map():
    review = parse_review(json.dumps({
        "nova/compute/api.py": [
            {"line": 10, "message": "Hardcoded password `PASSWORD = 'x'`"},
            {"range": {"start_line": 20, "start_character": 0, "end_line": 22, "end_character": 5}, "line": 22,
             "side": "PARENT", "message": "ok"},
        ],
        "/PATCHSET_LEVEL": [{"message": "Looks fine overall"}],
    }))
    assert review.verdict is UNSTATED
    assert [(c.path, c.lines, c.side) for c in review.claims] == [
        ("nova/compute/api.py", [10], None), ("nova/compute/api.py", [20, 21, 22], "old"), (None, [], None)]
    assert [c.is_defect for c in review.claims] == [True, False, False]
    assert review.claims[0].identifiers == ["PASSWORD"]


def test_gerrit_review_input_with_message():
    review = parse_review(json.dumps({"message": "No security issues found.",
                                      "comments": {"a.py": [{"line": 1, "message": "nit: rename `x`"}]}}))
    assert review.verdict is CLEAN
    assert review.verdict_text == "No security issues found."
    assert [(c.path, c.lines, c.title) for c in review.claims] == [("a.py", [1], "nit")]


@pytest.mark.parametrize("text, message", [
    ('{"foo": 1}', "review JSON is not a GitHub comment list"),
    ('{"comments": "none"}', "review JSON is not a GitHub comment list"),
    ("[1, 2]", "review JSON comment 1 is a JSON int, not an object"),
    ('["looks fine"]', "review JSON comment 1 is a JSON str, not an object"),
    ('[{"path": "a.py", "line": 1}]', "review JSON comment 1 has no 'body' or 'message' text"),
    ('[{"path": "a.py", "line": 1, "body": "x"}, {"line": "abc", "body": "y"}]',
     "review JSON comment 2: 'line' must be a line number, got 'abc'"),
    ('[{"line": true, "body": "x"}]', "review JSON comment 1: 'line' must be a line number, got True"),
    ('{"a.py": [{"line": 1, "message": "m"}], "b.py": [3]}', "review JSON comment 2 is a JSON int"),
])
def test_json_of_another_shape_is_an_error(text, message):
    with pytest.raises(ValueError) as error:
        parse_review(text)
    assert str(error.value).startswith(message)


def test_text_that_only_looks_like_json_is_prose():
    review = parse_review("[Security] On line 40 `eval(data)` runs user input. I found 1 vulnerability.")
    assert review.verdict is DEFECTS
    assert [(c.lines, c.quotes) for c in review.claims] == [([40], ["eval(data)"])]
    review = parse_review("{not json} line 4: `x = y`")
    assert [(c.lines, c.identifiers) for c in review.claims] == [([4], ["x", "y"])]


@pytest.mark.parametrize("text", ["", "   \n\n\t", "[]", "{}"])
def test_empty_review(text):
    review = parse_review(text)
    assert (review.verdict, review.verdict_text, review.claims) == (UNSTATED, "", [])


def test_review_without_verdict_or_claims():
    review = parse_review("Looks good to me.")
    assert (review.verdict, review.verdict_text, review.claims) == (UNSTATED, "", [])


# ---------------------------------------------------------------------------
# One claim
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, lines", [
    ("See lines 40-42.", [40, 41, 42]),
    ("See lines 40\u201342.", [40, 41, 42]),
    ("lines 42-40", [40, 41, 42]),
    ("lines 40 and 47", [40, 47]),
    ("on lines 40, 42, and 47", [40, 42, 47]),
    ("from line 5 to line 7", [5, 6, 7]),
    ("on line 40", [40]),
    ("Line #12", [12]),
    ("L40", [40]),
    ("GitHub #L40-L42", [40, 41, 42]),
    ("nova/api.py:40 and app.py:7-8", [40, 7, 8]),
    ("`app.py:40`", [40]),
    ("line 40, then line 40 again", [40]),
    ("lines 10-200", [10, 200]),  # longer than MAX_LINE_RANGE: only its ends
    ("In line 40, `x`", [40]),
    ("1. Insecure use of 3 APIs in version 2.0", []),
    ("URL40 and HTML5", []),
    ("`x = line 9` in a quote is code, not a citation", []),
])
def test_cited_lines(text, lines):
    assert parse_claim(text).lines == lines


def test_line_range_cap():
    assert MAX_LINE_RANGE == 50
    assert parse_claim("lines 1-50").lines == list(range(1, 51))
    assert parse_claim("lines 1-51").lines == [1, 51]


def test_json_lines_come_first_and_text_lines_follow():
    assert parse_claim("also line 9 and line 40", lines=[40, 41]).lines == [40, 41, 9]


def test_a_claim_with_no_line():
    claim = parse_claim("The `login` view trusts `request.args` without validation.")
    assert claim.lines == []
    assert claim.path is None
    assert claim.identifiers == ["login", "request.args"]
    assert claim.is_defect
    assert claim.fix == ""


def test_whitespace_in_quotes_is_kept_as_written():
    assert parse_claim("`x  =  foo( a,\tb )`").quotes == ["x  =  foo( a,\tb )"]
    assert parse_claim("`` `tick` ``").quotes == ["`tick`"]  # Markdown: one space inside the `` is padding
    fenced = parse_claim("Here:\n\n```python\n    if user:\n        run(cmd)\n```\n")
    assert fenced.quotes == ["    if user:\n        run(cmd)"]
    assert fenced.identifiers == ["user", "run", "cmd"]
    indented = parse_claim("1. item\n   ```\n   a = 1\n     b = 2\n   ```")
    assert indented.quotes == ["a = 1\n  b = 2"]


def test_quotes_do_not_repeat_and_unclosed_backticks_are_literal():
    assert parse_claim("`a` then `a` then `b`").quotes == ["a", "b"]
    assert parse_claim("a lone ` back-tick and `code`").quotes == [" back-tick and "]
    assert parse_claim("no `code here").quotes == []


def test_calls_written_in_prose_are_identifiers():
    claim = parse_claim("Calling os.system() and subprocess.Popen(cmd, shell=True) with eval(data); "
                        "the function(s), the server(es), Reference (IDOR), if( and a link [x](http://a.py).")
    assert claim.identifiers == ["os.system", "subprocess.Popen", "eval"]


def test_prose_words_are_not_identifiers():
    claim = parse_claim("The self.api object and dest_rp_uuid in prose are not quoted, so they are not names.")
    assert claim.identifiers == []
    assert claim.quotes == []


@pytest.mark.parametrize("code, names", [
    ("self.assertEqual(dest_host, server['OS-EXT-SRV-ATTR:host'])", ["self.assertEqual", "dest_host", "server"]),
    ("OS-EXT-SRV-ATTR:host", []),
    ("server['x-y'] = value", ["server", "value"]),
    ("if user.is_admin:", ["user.is_admin"]),
    ("def f(a, *args, k=1, **kw):", ["f", "a", "args", "k", "kw"]),
    ("import os.path as p", ["os.path", "p"]),
    ("from a.b import c", ["a.b", "c"]),
    ("requests.get(url).json()", ["requests.get", "url", "json"]),
    ("verify=False", []),
    ("requests.get(url, verify=False)", ["requests.get", "url"]),
    ("x == 1", ["x"]),
    ("'literal only'", []),
    ("True", []),
    ("for", []),
    ("SELECT name FROM t WHERE id = %s", []),
    ("cursor.execute('SELECT %s' % name_", ["cursor.execute", "name_"]),
    ("foo(bar", []),
    ("api.get_server_ext_attr()", ["api.get_server_ext_attr"]),
    ("    return self._get(x)\n  def broken(:\n", ["self._get", "x"]),
    ("+    token = make_token(user)\n-    token = str(user.id)", ["token", "make_token", "user", "str", "user.id"]),
])
def test_code_names(code, names):
    assert code_names(code) == names


def test_a_quoted_path_names_the_file_not_code():
    claim = parse_claim("In `nova/tests/functional/test_servers.py` the call `boot()` on line 5")
    assert claim.path == "nova/tests/functional/test_servers.py"
    assert claim.identifiers == ["boot"]


@pytest.mark.parametrize("text, path", [
    ("in foo/bar.py the query", "foo/bar.py"),
    ("see bar.py:12", "bar.py"),
    ("see ./app/views.py", "app/views.py"),
    ("request.json and response.json() and os.path are not files", None),
    ("https://github.com/o/r/blob/main/app.py#L3 is a link", None),
    ("no file here", None),
])
def test_named_path(text, path):
    assert parse_claim(text).path == path


@pytest.mark.parametrize("text, side", [
    ("On the new side, line 3", "new"),
    ("the removed line 5", "old"),
    ("left side of the diff", "old"),
    ("an added line on the old side", "new"),  # the first the text says
    ("line 3", None),
])
def test_side_from_text(text, side):
    assert parse_claim(text).side == side


def test_side_given_by_json_wins():
    assert parse_claim("on the new side", side="old").side == "old"


@pytest.mark.parametrize("text, cwes", [
    ("SQL injection (CWE-89)", [89]),
    ("CWE 89 and cwe-79, again CWE-89", [89, 79]),
    ("CWE: 22", [22]),
    ("CWE-99999 is no weakness, but it is what the claim says", [99999]),
    ("no weakness named", []),
])
def test_cwes(text, cwes):
    assert parse_claim(text).cwes == cwes


@pytest.mark.parametrize("text, fix, proposed", [
    ("Replace `md5` with `hashlib.sha256()`.", "Replace `md5` with `hashlib.sha256()`.", ["hashlib.sha256"]),
    ("You should switch to `secrets.token_hex()` for tokens.", "You should switch to `secrets.token_hex()` for tokens.",
     ["secrets.token_hex"]),
    ("Instead of `os.system(cmd)`, use `subprocess.run(args)`.",
     "Instead of `os.system(cmd)`, use `subprocess.run(args)`.", ["subprocess.run", "args"]),
    ("The code should call `validate(token)` before `login(user)`.",
     "The code should call `validate(token)` before `login(user)`.", ["validate", "token"]),
    ("We recommend `yaml.safe_load()` over `yaml.load()`.", "We recommend `yaml.safe_load()` over `yaml.load()`.",
     ["yaml.safe_load"]),
    ("Passwords should be hashed with `bcrypt` instead of `md5`.",
     "Passwords should be hashed with `bcrypt` instead of `md5`.", ["bcrypt"]),
    ("Escape `name` with `html.escape()` before rendering.", "Escape `name` with `html.escape()` before rendering.",
     ["html.escape"]),
    ("To avoid this, pass the arguments as a list.", "To avoid this, pass the arguments as a list.", []),
    ("**Fix:**\n```python\nrun(['ls', path])\n```", "**Fix:**\n```python\nrun(['ls', path])\n```", ["run", "path"]),
    ("use secrets.token_hex() instead of random.random()", "use secrets.token_hex() instead of random.random()",
     ["secrets.token_hex"]),
])
def test_fixes(text, fix, proposed):
    claim = parse_claim(text)
    assert claim.fix == fix
    assert claim.fix_identifiers == proposed
    assert set(proposed) <= set(claim.identifiers)


def test_a_fix_introduces_only_names_the_claim_does_not_cite_elsewhere():
    claim = parse_claim("On line 18, `cur.execute(q % name)` splices input into SQL. "
                        "Fix: use a bound parameter with `cur.execute` and `sqlite3.connect()`.")
    assert claim.identifiers == ["cur.execute", "q", "name", "sqlite3.connect"]
    assert claim.fix == "Fix: use a bound parameter with `cur.execute` and `sqlite3.connect()`."
    assert claim.fix_identifiers == ["sqlite3.connect"]


@pytest.mark.parametrize("text", [
    "The code uses `md5` instead of `sha256`.",  # describes the code, proposes nothing
    "**Use of `eval`**: none found.",
    "The use of `subprocess.run()` is standard.",
    "It uses parameterized queries, which is good practice; use cases are covered.",
])
def test_not_fixes(text):
    claim = parse_claim(text)
    assert (claim.fix, claim.fix_identifiers) == ("", [])


@pytest.mark.parametrize("text, defect", [
    ("The query on line 12 is vulnerable to SQL injection.", True),
    ("This is not vulnerable to SQL injection.", False),
    ("SQL injection and XSS are not applicable here.", False),
    ("There are no explicit instances of hardcoded passwords, which is a common security issue.", False),
    ("`name` is not escaped before rendering.", True),
    ("The input is unsanitized.", True),
    ("Weak hash (CWE-328) on line 3.", True),
    ("CWE-798 does not apply: the key is a test fixture.", False),
    ("Use `secrets.compare_digest()` here.", True),  # a fix proposed
    ("This is generally acceptable; however, it is important to ensure the data stays current.", False),
    ("While the fixture is standard, the `eval(x)` on line 3 is dangerous.", True),
    ("This is standard. The `eval(x)` call on line 3 could be exploited.", True),
    ("The function returns the user's name.", False),
    ("This is a positive aspect from a security perspective.", False),
])
def test_is_defect(text, defect):
    assert parse_claim(text).is_defect is defect


def test_hedges_are_lower_case_longest_first_and_not_read_from_code():
    claim = parse_claim("This Could Potentially leak data and MAY BE exploited; consider using appropriate "
                        "checks. `might_fail()` is code.")
    assert claim.hedges == ["could potentially", "may be", "consider using appropriate"]
    assert all(h == h.lower() for h in HEDGES)
    assert parse_claim("The `eval(data)` on line 3 runs user input. Use `ast.literal_eval()`.").hedges == []


@pytest.mark.parametrize("text, title", [
    ("Insecure Direct Object Reference (IDOR):\nIn line 40, it is read.", "Insecure Direct Object Reference (IDOR)"),
    ("**Use of Hardcoded Credentials**: none.", "Use of Hardcoded Credentials"),
    ("__Bold Title__ rest", "Bold Title"),
    ("Note: `a:b` is fine", "Note"),
    ("In line 40 the code does this. Then: more", ""),
    ("a title that is far too long to be a title because it goes on and on and on: x", ""),
    ("no colon at all", ""),
])
def test_titles(text, title):
    assert parse_claim(text).title == title


# ---------------------------------------------------------------------------
# The verdict
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "No security defects are detected in the code.",
    "no security issues found",
    "I found no vulnerabilities.",
    "The change does not contain any security defects.",
    "I did not find any issues.",
    "The module is free of security vulnerabilities.",
])
def test_clean_statements(text):
    assert review_verdict(text) == (CLEAN, text)


@pytest.mark.parametrize("text", [
    "There are a few potential security-related issues that could be improved:",
    "I found 2 vulnerabilities.",
    "The code has the following security defects:",
    "Two vulnerabilities were found.",
    "The code contains several security vulnerabilities.",
])
def test_defect_statements(text):
    assert review_verdict(text) == (DEFECTS, text)


@pytest.mark.parametrize("text", [
    "Upon reviewing the code for potential security defects, here are the findings:",
    "Looks good.",
    "There are no explicit instances of hardcoded passwords.",
    "I reviewed the `no issues` flag.",
])
def test_no_statement(text):
    assert review_verdict(text) == (UNSTATED, "")


def test_the_first_statement_decides_and_the_text_keeps_every_sentence_that_agrees():
    assert review_verdict("No defects. However, there are a few issues. No vulnerabilities either.") == (
        CLEAN, "No defects. No vulnerabilities either.")
    assert review_verdict("There is one issue. No other issues were found.") == (DEFECTS, "There is one issue.")
    assert review_verdict("Based on this review:\n- **No security defects are detected in the code.**") == (
        CLEAN, "No security defects are detected in the code.")


def test_long_numbered_lists_keep_every_item() -> None:
    # CommonMark allows up to nine digits in an ordered-list marker.
    text = "\n".join(f"{i}. **Issue {i}**: line {i}: `foo_{i}.bar()` is insecure." for i in range(998, 1003))
    review = parse_review(text)
    assert [(c.index, c.lines) for c in review.claims] == [(n, [line]) for n, line in enumerate(range(998, 1003), 1)]
