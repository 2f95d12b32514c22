"""The core's exception hierarchy and the problem types it reports.

Every error the credential engine raises derives from `PassportVcError` and carries the
problem type URI (VC Data Model 2.0 §7.2, Data Integrity §2.3) that the edges map to
RFC 9457 problem details.
"""

from __future__ import annotations

VC_ERRORS = "https://www.w3.org/TR/vc-data-model#"
DI_ERRORS = "https://w3id.org/security#"
BSL_ERRORS = "https://www.w3.org/ns/credentials/status-list#"

PARSING_ERROR = VC_ERRORS + "PARSING_ERROR"
CRYPTOGRAPHIC_SECURITY_ERROR = VC_ERRORS + "CRYPTOGRAPHIC_SECURITY_ERROR"
MALFORMED_VALUE_ERROR = VC_ERRORS + "MALFORMED_VALUE_ERROR"
RANGE_ERROR = VC_ERRORS + "RANGE_ERROR"

PROOF_GENERATION_ERROR = DI_ERRORS + "PROOF_GENERATION_ERROR"
PROOF_VERIFICATION_ERROR = DI_ERRORS + "PROOF_VERIFICATION_ERROR"
PROOF_TRANSFORMATION_ERROR = DI_ERRORS + "PROOF_TRANSFORMATION_ERROR"
INVALID_DOMAIN_ERROR = DI_ERRORS + "INVALID_DOMAIN_ERROR"
INVALID_CHALLENGE_ERROR = DI_ERRORS + "INVALID_CHALLENGE_ERROR"
DATA_LOSS_DETECTION_ERROR = DI_ERRORS + "DATA_LOSS_DETECTION_ERROR"
CONTEXT_VALIDATION_ERROR = DI_ERRORS + "CONTEXT_VALIDATION_ERROR"
INVALID_VERIFICATION_METHOD = DI_ERRORS + "INVALID_VERIFICATION_METHOD"
INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID = DI_ERRORS + "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT_ID"
INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD = (
    DI_ERRORS + "INVALID_RELATIONSHIP_FOR_VERIFICATION_METHOD"
)
INVALID_PROOF_CONFIGURATION = DI_ERRORS + "INVALID_PROOF_CONFIGURATION"
# Controlled Identifiers 1.0 §3.4, raised while retrieving a verification method (§3.3).
INVALID_VERIFICATION_METHOD_URL = DI_ERRORS + "INVALID_VERIFICATION_METHOD_URL"
INVALID_CONTROLLED_IDENTIFIER_DOCUMENT = DI_ERRORS + "INVALID_CONTROLLED_IDENTIFIER_DOCUMENT"

STATUS_RETRIEVAL_ERROR = BSL_ERRORS + "STATUS_RETRIEVAL_ERROR"
STATUS_VERIFICATION_ERROR = BSL_ERRORS + "STATUS_VERIFICATION_ERROR"
STATUS_LIST_LENGTH_ERROR = BSL_ERRORS + "STATUS_LIST_LENGTH_ERROR"

# Our own, for checks the specifications leave to the application (VCDM App. A).
PASSPORT_ERRORS = "https://passport-vc.org/problems#"
VALIDITY_ERROR = PASSPORT_ERRORS + "VALIDITY_ERROR"
STATUS_ERROR = PASSPORT_ERRORS + "CREDENTIAL_STATUS"
ISSUER_BINDING_ERROR = PASSPORT_ERRORS + "ISSUER_BINDING_ERROR"
HOLDER_BINDING_ERROR = PASSPORT_ERRORS + "HOLDER_BINDING_ERROR"
PROOF_EXPIRED_ERROR = PASSPORT_ERRORS + "PROOF_EXPIRED_ERROR"
DID_RESOLUTION_ERROR = PASSPORT_ERRORS + "DID_RESOLUTION_ERROR"
INPUT_LIMIT_ERROR = PASSPORT_ERRORS + "INPUT_LIMIT_ERROR"


class PassportVcError(Exception):
    """Base of every error the engine raises on purpose."""

    problem_type: str = MALFORMED_VALUE_ERROR
    title: str = "Malformed value"

    def __init__(self, detail: str, *, problem_type: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if problem_type is not None:
            self.problem_type = problem_type

    def problem(self) -> dict[str, str]:
        """This error as an RFC 9457 problem details object."""
        return {"type": self.problem_type, "title": self.title, "detail": self.detail}


class ParsingError(PassportVcError):
    problem_type = PARSING_ERROR
    title = "Parsing error"


class MalformedValueError(PassportVcError):
    problem_type = MALFORMED_VALUE_ERROR
    title = "Malformed value"


class InputLimitError(PassportVcError):
    problem_type = INPUT_LIMIT_ERROR
    title = "Input over a processing limit"


class ContextError(PassportVcError):
    problem_type = CONTEXT_VALIDATION_ERROR
    title = "Context validation error"


class DataLossError(PassportVcError):
    problem_type = DATA_LOSS_DETECTION_ERROR
    title = "Data loss detected"


class KeyFormatError(PassportVcError):
    problem_type = INVALID_VERIFICATION_METHOD
    title = "Invalid key"


class ProofError(PassportVcError):
    problem_type = PROOF_VERIFICATION_ERROR
    title = "Proof error"


class DidResolutionError(PassportVcError):
    problem_type = DID_RESOLUTION_ERROR
    title = "DID resolution failed"


class StatusListError(PassportVcError):
    problem_type = STATUS_VERIFICATION_ERROR
    title = "Status list error"


class VerificationMethodError(PassportVcError):
    """A verification method could not be retrieved or used (Controlled Identifiers §3.3)."""

    problem_type = INVALID_VERIFICATION_METHOD
    title = "Invalid verification method"
