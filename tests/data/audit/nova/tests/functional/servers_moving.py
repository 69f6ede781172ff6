"""Functional tests: moving servers between hosts keeps allocations right.

Shaped like nova/tests/functional/test_servers.py; the seed review-000 was
written about a file like this one, and its line numbers are checked against
these lines (see tests/test_audit.py)."""

from nova.tests.functional import integrated_helpers


class ServerMovingTests(integrated_helpers.ProviderUsageBaseTestCase):
    """Cold and live migration with placement allocations."""

    compute_driver = "fake.MediumFakeDriver"

    def setUp(self):
        super().setUp()
        self.compute1 = self._start_compute(host="host1")
        self.compute2 = self._start_compute(host="host2")
        self.flavor1 = self._pick_flavor(0)
        self.flavor2 = self._pick_flavor(1)

    def _start_compute(self, host):
        return {"host": host}

    def _pick_flavor(self, index):
        """Flavors come from the API, sorted by memory, so the test is stable."""
        if not hasattr(self, "_flavors"):
            self._flavors = None
        if self._flavors is None:
            flavors = self.api.get_flavors()
            self._flavors = sorted(flavors, key=lambda f: f["ram"])
        return self._flavors[index]

    def _migrate_and_check(self, server, source_hostname, dest_hostname):
        source_rp_uuid = self._get_provider_uuid_by_host(source_hostname)
        dest_rp_uuid = self._get_provider_uuid_by_host(dest_hostname)

        # Live-migrate with the admin API and wait for the server to land.
        req = {
            "os-migrateLive": {
                "host": dest_hostname,
                "block_migration": "auto",
            }
        }
        dest_host = dest_hostname
        server = self._wait_for_state_change(server, "ACTIVE")
        self.assertEqual(dest_host, server['OS-EXT-SRV-ATTR:host'])

        self.assertFlavorMatchesUsage(source_rp_uuid, self.flavor1)
        self.assertFlavorMatchesUsage(dest_rp_uuid, self.flavor1)

        # Move it back.
        self.api.post_server_action(server['id'], req)
        return self._wait_for_state_change(server, "ACTIVE")

    def test_live_migrate_with_allocations(self):
        """The source and destination providers both hold the flavor while
        the server moves, then only the destination."""
        server = self._boot_and_check_allocations(self.flavor1, 'host1')
        self._migrate_and_check(server, "host1", "host2")

    def test_resize_revert_keeps_source_allocations(self):
        server = self._boot_and_check_allocations(self.flavor1, 'host1')
        self.api.post_server_action(server["id"], {"resize": {"flavorRef": self.flavor2["id"]}})
        server = self._wait_for_state_change(server, "VERIFY_RESIZE")
        self.api.post_server_action(server["id"], {"revertResize": None})
        server = self._wait_for_state_change(server, "ACTIVE")

        source_rp_uuid = self._get_provider_uuid_by_host("host1")
        self.assertFlavorMatchesUsage(source_rp_uuid, self.flavor1)

    def test_evacuate_moves_allocations(self):
        server = self._boot_and_check_allocations(self.flavor1, 'host1')
        self.api.post_server_action(server["id"], {"evacuate": {}})
        dest_rp_uuid = self._get_provider_uuid_by_host('host2')
        server = self._wait_for_state_change(server, "ACTIVE")
        self.assertEqual("host2", server["OS-EXT-SRV-ATTR:host"])

        dest_usages = self._get_provider_usages(dest_rp_uuid)
        self.assertEqual(self.flavor1["vcpus"], dest_usages["VCPU"])
