"""The conformance suite: pytest tests run by the plugin against the profile's target."""
