"""Conformance and certification suite for Alipay+ wallet (MPP) integrations."""

from __future__ import annotations

__version__ = "1.5.3"
__all__ = ["__version__"]
