"""Policy fixtures (stand-in for nova.tests.unit.policy_fixture)."""


class RealPolicyFixture:
    """Load the real policy file, as production does."""

    def setUp(self):
        self.policy_file = "etc/nova/policy.yaml"

    def cleanUp(self):
        self.policy_file = None
