"""One entry point for every DID method we accept: did:key locally, did:web when configured."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Protocol

from passport_vc.dids.did_key import resolve_did_key
from passport_vc.dids.did_web import DidWebResolver
from passport_vc.dids.syntax import parse_did, shorten
from passport_vc.errors import DidResolutionError, PassportVcError


class DidResolver(Protocol):
    """Anything that turns a DID into its DID document, raising PassportVcError on failure."""

    def resolve(self, did: str) -> dict[str, Any]: ...


_NO_EXTRA: Mapping[str, DidResolver] = MappingProxyType({})


class UniversalResolver:
    """Dispatch on the DID method: did:key is always resolved locally; did:web through
    `did_web` (normally a DidWebResolver; refused when None, i.e. offline); `extra` maps
    further method names (`"example"` for did:example) to their resolvers. Any other method
    is refused by name.
    """

    def __init__(
        self,
        did_web: DidWebResolver | DidResolver | None = None,
        extra: Mapping[str, DidResolver] = _NO_EXTRA,
    ) -> None:
        if "key" in extra:
            raise ValueError("did:key is always resolved locally; it cannot be replaced")
        if "web" in extra and did_web is not None:
            raise ValueError("did:web is configured twice (did_web and extra['web'])")
        self._resolvers: dict[str, DidResolver] = dict(extra)
        if did_web is not None:
            self._resolvers["web"] = did_web

    @property
    def methods(self) -> frozenset[str]:
        """The DID method names this resolver accepts."""
        return frozenset({"key", *self._resolvers})

    def resolve(self, did: str) -> dict[str, Any]:
        """The DID document of `did`; DidResolutionError naming the method when unsupported."""
        parsed = parse_did(did)
        if parsed.method == "key":
            return resolve_did_key(did)
        resolver = self._resolvers.get(parsed.method)
        if resolver is None:
            if parsed.method == "web":
                raise DidResolutionError(
                    f"{shorten(did)}: did:web resolution is not enabled on this verifier"
                )
            raise DidResolutionError(
                f"{shorten(did)}: DID method {parsed.method!r} is not supported "
                f"(supported: {', '.join(sorted(self.methods))})"
            )
        try:
            document = resolver.resolve(did)
        except PassportVcError:
            raise
        except Exception as exc:  # a plug-in resolver's bug must not escape as a random type
            raise DidResolutionError(
                f"resolving {shorten(did)} failed: {type(exc).__name__}"
            ) from exc
        if not isinstance(document, dict):
            raise DidResolutionError(f"resolving {shorten(did)} gave no DID document object")
        return document
