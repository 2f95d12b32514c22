"""Data Integrity proofs: cryptosuites behind one interface, proof sets and chains."""

from passport_vc.proofs.data_integrity import ProofOptions, add_proof, proofs_of
from passport_vc.proofs.suite import Cryptosuite, get_suite, suite_names

__all__ = ["Cryptosuite", "ProofOptions", "add_proof", "get_suite", "proofs_of", "suite_names"]
