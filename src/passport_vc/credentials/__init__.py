"""Credentials: VC Data Model 2.0 checks, Open Badges 3.0, verification, presentations."""
