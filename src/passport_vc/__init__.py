"""passport-vc: maker skill badges as W3C Verifiable Credentials."""

__version__ = "0.1.0"
