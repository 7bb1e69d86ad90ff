"""eddsa-jcs-2022 (W3C vc-di-eddsa): the published test vectors reproduce exactly, and a changed document fails."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from zhicheng_certificates.signing.domain import (
    add_eddsa_jcs_proof,
    ed25519_from_multibase,
    ed25519_multibase,
    ed25519_private_from_multibase,
    verify_eddsa_jcs_proof,
)

VECTORS = Path(__file__).parent / "fixtures" / "vc-di-eddsa"


def _load(commit: str) -> dict[str, Any]:
    folder = VECTORS / commit
    return {
        "keys": json.loads((folder / "keyPair.json").read_text()),
        "signed": json.loads((folder / "signedJCS.json").read_text()),
        "proof_config": json.loads((folder / "proofConfigJCS.json").read_text()),
        "canon_doc": (folder / "canonDocJCS.txt").read_text().strip(),
        "canon_proof": (folder / "proofCanonJCS.txt").read_text().strip(),
        "doc_hash": (folder / "docHashJCS.txt").read_text().strip(),
        "proof_hash": (folder / "proofHashJCS.txt").read_text().strip(),
        "proof_value": (folder / "sigBTC58JCS.txt").read_text().strip(),
    }


@pytest.mark.parametrize(
    ("commit", "expected_start"),
    [("d071a6c", "z63t83Y5"), ("abb673e", "z2HnFSSP")],
)
def test_the_w3c_vector_reproduces_exactly(commit: str, expected_start: str) -> None:
    vector = _load(commit)
    private = ed25519_private_from_multibase(vector["keys"]["privateKeyMultibase"])
    assert private is not None
    assert (
        ed25519_multibase(private.public_key())
        == vector["keys"]["publicKeyMultibase"]
        == ("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
    )
    unsecured = {k: v for k, v in vector["signed"].items() if k != "proof"}
    # The intermediate values of the specification's example, one by one.
    assert rfc8785.dumps(unsecured).decode() == vector["canon_doc"]
    assert rfc8785.dumps(vector["proof_config"]).decode() == vector["canon_proof"]
    assert hashlib.sha256(rfc8785.dumps(unsecured)).hexdigest() == vector["doc_hash"]
    assert hashlib.sha256(rfc8785.dumps(vector["proof_config"])).hexdigest() == vector["proof_hash"]

    config = vector["proof_config"]
    secured = add_eddsa_jcs_proof(
        unsecured, key=private, verification_method=config["verificationMethod"], created=config["created"]
    )
    assert secured["proof"]["proofValue"] == vector["proof_value"] == vector["signed"]["proof"]["proofValue"]
    assert secured["proof"]["proofValue"].startswith(expected_start)
    assert secured == vector["signed"]
    assert verify_eddsa_jcs_proof(vector["signed"], private.public_key()) is None


def test_a_changed_document_or_proof_fails_verification() -> None:
    vector = _load("abb673e")
    public = ed25519_from_multibase(vector["keys"]["publicKeyMultibase"])
    assert public is not None
    changed = copy.deepcopy(vector["signed"])
    changed["credentialSubject"]["alumniOf"] = "The School of Examplez"
    assert verify_eddsa_jcs_proof(changed, public).code == "ed25519_signature_invalid"  # type: ignore[union-attr]
    changed = copy.deepcopy(vector["signed"])
    changed["proof"]["created"] = "2023-02-24T23:36:39Z"
    assert verify_eddsa_jcs_proof(changed, public).code == "ed25519_signature_invalid"  # type: ignore[union-attr]
    changed = copy.deepcopy(vector["signed"])
    changed["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    assert verify_eddsa_jcs_proof(changed, public).code == "proof_context_mismatch"  # type: ignore[union-attr]
    changed = copy.deepcopy(vector["signed"])
    del changed["proof"]
    assert verify_eddsa_jcs_proof(changed, public).code == "proof_missing"  # type: ignore[union-attr]
