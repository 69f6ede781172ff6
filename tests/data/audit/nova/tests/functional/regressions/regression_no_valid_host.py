"""Regression test: a live migration to a host that cannot take the server
fails with NoValidHost and leaves the server where it was.

Shaped like nova/tests/functional/regressions/test_bug_*.py; the seed
review-004 was written about a file like this one."""

from nova import exception
from nova import test
from nova.tests import fixtures as nova_fixtures
from nova.tests.functional.api import client
from nova.tests.unit import fake_network
from nova.tests.unit import policy_fixture


class TestLiveMigrateNoValidHost(test.TestCase):
    """Live migration must raise NoValidHost when no host fits."""

    def setUp(self):
        super().setUp()
        self.useFixture(policy_fixture.RealPolicyFixture())
        fake_network.set_stub_network_methods(self)
        self.api = client.TestOpenStackClient("admin", "http://localhost/v2.1")
        self.image_uuid = "155d900f-4e14-4e4c-a73d-069cbf4541e6"

    def _boot_servers(self, num_servers=1, flavor_id=None, image_uuid=None):
        flavor_id = flavor_id or self.api.get_flavors()[0]["id"]
        image_uuid = image_uuid or self.image_uuid
        servers = []
        for index in range(num_servers):
            request = {"server": {"name": "server%d" % index, "flavorRef": flavor_id,
                                  "imageRef": image_uuid, "min_count": 1}}
            servers.append(self.api.post_server(request))
        return servers

    def test_live_migrate_no_valid_host(self):
        server = self._boot_servers(num_servers=1)[0]
        source_host = server["OS-EXT-SRV-ATTR:host"]
        error = exception.NoValidHost(reason="no host with enough memory")
        with self.assertRaises(exception.NoValidHost):
            raise error
        server = self.api.get_server(server["id"])
        self.assertEqual(source_host, server["OS-EXT-SRV-ATTR:host"])
        self.assertIsNotNone(nova_fixtures)
