"""AWS Signature V4 of the S3 attachment store, checked against AWS's published test vectors."""

from __future__ import annotations

from datetime import UTC, datetime

from zhicheng_intake.storage import EMPTY_SHA256, SigV4Credentials, sigv4_headers


def test_sigv4_get_vanilla_of_the_aws_test_suite() -> None:
    # aws-sig-v4-test-suite "get-vanilla": GET / on example.amazonaws.com, 2015-08-30T12:36:00Z.
    signer = SigV4Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service")
    now = datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
    signed = sigv4_headers("GET", "https://example.amazonaws.com/", {}, EMPTY_SHA256, signer, now)
    assert signed["x-amz-date"] == "20150830T123600Z"
    assert signed["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_sigv4_s3_get_object_example_of_the_s3_documentation() -> None:
    # S3 API reference, "Signature Calculations for the Authorization Header", GET Object example.
    signer = SigV4Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3")
    headers = {"Range": "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256}
    url = "https://examplebucket.s3.amazonaws.com/test.txt"
    signed = sigv4_headers("GET", url, headers, EMPTY_SHA256, signer, datetime(2013, 5, 24, tzinfo=UTC))
    assert signed["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )
