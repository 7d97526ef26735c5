"""Requests by construction: hypothesis strategies of valid, boundary and invalid cases."""
