"""The published public keys (public, stable URLs): a JWKS, the did:web document, the SM2 key list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from zhicheng_certificates.deps import ContextDep
from zhicheng_certificates.settings import AREA
from zhicheng_certificates.signing.domain import did_document, jwks, sm2_key_list
from zhicheng_common.auth import PUBLIC_ROUTE

public = APIRouter(prefix=f"/{AREA}/public", tags=["keys"], dependencies=[PUBLIC_ROUTE])


@public.get("/keys/jwks.json", summary="Ed25519 公钥 (JWKS, with signing periods)")
async def published_jwks(context: ContextDep) -> dict[str, Any]:
    """Every Ed25519 key, retired ones included: what they signed keeps verifying."""
    return jwks(context.keys.published())


@public.get("/keys/sm2.json", summary="SM2 公钥列表 (PEM and 04‖x‖y, signer id, signing periods)")
async def published_sm2_keys(context: ContextDep) -> dict[str, Any]:
    """Every SM2 key with its signer id 1234567812345678 and signing period."""
    return sm2_key_list(context.keys.published())


@public.get("/did.json", summary="签发者 DID 文档 (did:web)")
async def published_did_document(context: ContextDep) -> dict[str, Any]:
    """The issuer's DID document: ``did:web:<host>:api:v1:certificates:public`` resolves here."""
    return did_document(context.issuer.did, context.keys.published())


@public.get(
    "/keys", summary="全部公钥 (JWKS, SM2 list and DID document in one; for `zhicheng certificate verify --keys`)"
)
async def published_keys(context: ContextDep) -> dict[str, Any]:
    """The three documents in one object, as the offline verifier reads them."""
    keys = context.keys.published()
    return {"jwks": jwks(keys), "sm2": sm2_key_list(keys), "did": did_document(context.issuer.did, keys)}
