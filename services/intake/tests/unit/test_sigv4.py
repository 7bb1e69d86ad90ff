"""AWS Signature V4 of the S3 attachment store, checked against AWS's published test vectors."""

from __future__ import annotations

from datetime import UTC, datetime

from zhicheng_intake.storage import EMPTY_SHA256, sigv4_headers


def test_sigv4_get_vanilla_of_the_aws_test_suite() -> None:
    # aws-sig-v4-test-suite "get-vanilla": GET / on example.amazonaws.com, 2015-08-30T12:36:00Z.
    signed = sigv4_headers(
        method="GET",
        url="https://example.amazonaws.com/",
        headers={},
        payload_sha256=EMPTY_SHA256,
        access_key="AKIDEXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        service="service",
        now=datetime(2015, 8, 30, 12, 36, tzinfo=UTC),
    )
    assert signed["x-amz-date"] == "20150830T123600Z"
    assert signed["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_sigv4_s3_get_object_example_of_the_s3_documentation() -> None:
    # S3 API reference, "Signature Calculations for the Authorization Header", GET Object example.
    signed = sigv4_headers(
        method="GET",
        url="https://examplebucket.s3.amazonaws.com/test.txt",
        headers={"Range": "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256},
        payload_sha256=EMPTY_SHA256,
        access_key="AKIAIOSFODNN7EXAMPLE",
        secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region="us-east-1",
        service="s3",
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert signed["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
