"""Embedded reference implementations: the built-in sandbox and its faulty variants."""
