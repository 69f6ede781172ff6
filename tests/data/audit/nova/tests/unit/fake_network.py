"""Network stubs for tests (stand-in for nova.tests.unit.fake_network)."""


def set_stub_network_methods(test):
    test.network_stubbed = True
