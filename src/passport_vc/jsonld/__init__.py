"""Offline JSON-LD: pinned contexts, safe expansion and canonicalization (RDFC-1.0, JCS)."""
