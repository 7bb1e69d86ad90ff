"""Request and response bodies of the secret ballot (NA-7)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from zhicheng_committees.ballot.domain import Choice


class RoundIn(BaseModel):
    """A round of voting (MT-3): the declarations voted on; all of the meeting's when omitted."""

    applicants: list[str] | None = Field(
        default=None, max_length=5000, examples=[["0190b5a2-0000-7000-8000-0000000000a1"]]
    )


class RoundRead(BaseModel):
    meeting_id: uuid.UUID
    number: int
    status: str = Field(examples=["open"])
    applicants: list[str]
    voters: int = Field(description="Attending experts when the round opened: who may vote, and A of the tally.")
    voted: int = Field(description="How many have voted (not who voted what).")


class BallotIn(BaseModel):
    """One expert's ballot: yes / no / abstain per declaration; one left out is a blank.

    ``voter`` may be omitted; naming anyone but the caller is a proxy vote and refused (NA-7).
    """

    voter: str | None = Field(default=None, max_length=64, examples=[None])
    choices: dict[str, Choice] = Field(examples=[{"0190b5a2-0000-7000-8000-0000000000a1": "yes"}])


class BallotReceipt(BaseModel):
    """The receipt of a cast ballot: shown once, to its voter only; it is stored nowhere in clear."""

    meeting_id: uuid.UUID
    round: int
    receipt: str = Field(
        examples=["Q2x1ZUJhbGxvdFJlY2VpcHQx"],
        description="Keep it: with it you find your votes in the published tally (docs/secret-ballot.md).",
    )


class ApplicantCount(BaseModel):
    applicant: str = Field(description="The declaration id.")
    yes: int
    no: int
    abstain: int
    blank: int
    attending: int
    recused: int
    denominator: int
    required: int
    passed: bool


class BallotRowRead(BaseModel):
    tag: str = Field(description="HMAC-SHA256(receipt, 'zc-ballot-v1|round|declaration'), hex.")
    applicant: str
    choice: str


class TallyContent(BaseModel):
    """The signed tally (format ``zc-tally-v1``): counts, every ballot row, the round and the pack."""

    format: str = Field(examples=["zc-tally-v1"])
    meeting_id: str
    round_id: str
    round: int
    closed_at: str
    policy_pack: str = Field(examples=["shanxi-2024"])
    pass_threshold: str = Field(examples=["2/3"])
    recused_reduce_denominator: bool
    rules: list[str]
    attending: int
    applicants: list[ApplicantCount]
    ballots: list[BallotRowRead]


class SignedTallyRead(BaseModel):
    """A closed round's tally with the service's Ed25519 signature over its canonical JSON."""

    content: TallyContent
    signature: str = Field(description="base64url (no padding) Ed25519 signature of the canonical JSON.")
    key_id: str = Field(description="The key of the `committees-tallies` ring that signed.")
    passed: list[str]
    failed: list[str]
