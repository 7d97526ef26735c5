"""Render the results document: certification HTML (inside pytest-html) and JUnit XML."""
