"""Sign and verify the same varied badges three ways in one run, and print the ratios.

  naive     plain pyld URDNA2015 canonicalization + Ed25519 (what a straightforward port does)
  rdfc      passport-vc eddsa-rdfc-2022 (shape-cached JSON-LD, pyoxigraph RDFC-1.0)
  jcs       passport-vc eddsa-jcs-2022

Figures are per second on one core (this process is single-threaded); the machine is shared and
noisy, so read the ratios against the naive baseline measured in the same run.
Usage: python bench/bench_sign_verify.py [N]   (default 3000 badges; the naive path uses N/10)
"""

from __future__ import annotations

import functools
import hashlib
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from badges import make_badges
from pyld import jsonld

from passport_vc.credentials.signing import sign_credential
from passport_vc.credentials.verification import VerifyOptions, verify_credential
from passport_vc.jsonld.contexts import load_document
from passport_vc.keys import SigningKey
from passport_vc.multibase import decode_base58btc, encode_base58btc
from passport_vc.proofs import ProofOptions
from passport_vc.timestamps import format_datetime_stamp, utc_now

CREATED = format_datetime_stamp(utc_now() - timedelta(hours=1))


def naive_hash(document: dict[str, Any], proof: dict[str, Any]) -> bytes:
    opts = {
        "algorithm": "URDNA2015",
        "format": "application/n-quads",
        "documentLoader": load_document,
    }
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document["@context"]
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    return (
        hashlib.sha256(jsonld.normalize(config, opts).encode()).digest()
        + hashlib.sha256(jsonld.normalize(unsecured, opts).encode()).digest()
    )


def naive_sign(document: dict[str, Any], key: SigningKey) -> dict[str, Any]:
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": CREATED,
        "verificationMethod": key.verification_method,
        "proofPurpose": "assertionMethod",
    }
    proof["proofValue"] = encode_base58btc(key.sign(naive_hash(document, proof)))
    return {**document, "proof": proof}


def naive_verify(document: dict[str, Any], key: SigningKey) -> bool:
    proof = document["proof"]
    return key.public_key.verify(naive_hash(document, proof), decode_base58btc(proof["proofValue"]))


def rate(label: str, items: list[Any], fn: Callable[[Any], Any]) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    elapsed = time.perf_counter() - start
    per_second = len(items) / elapsed
    print(f"  {label:<34} {per_second:9.0f} /s   ({elapsed / len(items) * 1e6:7.0f} us each)")
    return per_second


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    key = SigningKey(hashlib.sha256(b"bench").digest())
    badges = make_badges(n, key.did_key)
    naive_badges = badges[: max(n // 10, 50)]
    print(f"{n} varied badges ({len(naive_badges)} for the naive path), one core\n")

    def verify_ok(doc: dict[str, Any]) -> None:
        result = verify_credential(doc, VerifyOptions(return_document=False))
        assert result["verified"], result["problemDetails"]

    figures: dict[str, float] = {}
    print("naive (plain pyld):")
    signed_naive = [naive_sign(b, key) for b in naive_badges[:5]]  # warm contexts
    figures["naive sign"] = rate("sign", naive_badges, lambda b: naive_sign(b, key))
    signed_naive = [naive_sign(b, key) for b in naive_badges]
    figures["naive verify"] = rate(
        "verify (proof only)", signed_naive, lambda d: naive_verify(d, key)
    )

    for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
        opts = ProofOptions(cryptosuite=suite, created=CREATED)
        print(f"passport-vc {suite}:")
        for b in badges[:20]:
            sign_credential(b, key, opts)  # learn the shapes, as a running service has
        figures[f"{suite} sign"] = rate(
            "sign (checks + proof)",
            badges,
            functools.partial(sign_credential, key=key, options=opts),
        )
        signed = [sign_credential(b, key, opts) for b in badges]
        for d in signed[:20]:
            verify_ok(d)
        figures[f"{suite} verify"] = rate("verify (full pipeline)", signed, verify_ok)

    print("\nratios against the naive path measured above:")
    for op in ("sign", "verify"):
        base = figures[f"naive {op}"]
        for suite in ("eddsa-rdfc-2022", "eddsa-jcs-2022"):
            print(f"  {suite} {op:<6} {figures[f'{suite} {op}'] / base:6.1f}x naive")
    # Ed25519 alone, for scale: the ceiling of any EdDSA suite on this core.
    msg = b"x" * 64
    figures["ed25519"] = rate("\nEd25519 sign alone (64 bytes)", [msg] * 20000, key.sign)


if __name__ == "__main__":
    main()
