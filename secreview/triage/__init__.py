"""What happens to findings between the analysers and the report:
suppressions, the test-code policy, severity overrides, ordering."""
