"""Helpers for functional tests (stand-in for nova.tests.functional.integrated_helpers)."""

from nova import test
from nova.tests.functional.api import client


class _IntegratedTestBase(test.TestCase):
    def setUp(self):
        super().setUp()
        self.api = client.TestOpenStackClient("admin", "http://localhost/v2.1", "6f70656e")
        self.admin_api = self.api

    def _wait_for_state_change(self, server, expected_status):
        return self.api.get_server(server["id"])

    def _build_server(self, flavor_id, image_uuid):
        return {"name": "server", "flavorRef": flavor_id, "imageRef": image_uuid}


class ProviderUsageBaseTestCase(_IntegratedTestBase):
    def _get_provider_uuid_by_host(self, host):
        return self.placement_api.get("/resource_providers?name=%s" % host).body["resource_providers"][0]["uuid"]

    def _get_provider_usages(self, provider_uuid):
        return self.placement_api.get("/resource_providers/%s/usages" % provider_uuid).body["usages"]

    def _boot_and_check_allocations(self, flavor, source_hostname):
        server = self.api.post_server({"server": self._build_server(flavor["id"], "155d900f")})
        return self._wait_for_state_change(server, "ACTIVE")

    def assertFlavorMatchesUsage(self, rp_uuid, *flavors):
        usages = self._get_provider_usages(rp_uuid)
        self.assertEqual(sum(f["vcpus"] for f in flavors), usages["VCPU"])
