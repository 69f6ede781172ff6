"""Test fixtures (stand-in for nova.tests.fixtures)."""


class CastAsCallFixture:
    def setUp(self):
        self.active = True

    def cleanUp(self):
        self.active = False
