"""Base test case (stand-in for nova.test)."""

import unittest


class TestCase(unittest.TestCase):
    def useFixture(self, fixture):
        fixture.setUp()
        self.addCleanup(fixture.cleanUp)
        return fixture

    def flags(self, **kw):
        self.overrides = dict(kw)
