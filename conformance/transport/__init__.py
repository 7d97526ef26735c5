"""Requests on the wire: the sender, HTTP/1.1 exchanges, politeness, TLS."""
