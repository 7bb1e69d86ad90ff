"""NATS permissions follow from one table, the topology's ``consumes`` (issue 10 §2): pure."""

from __future__ import annotations

import pytest

from zhicheng_common.events.permissions import (
    OPERATOR,
    SubjectSpace,
    check_consumes,
    consumer_durables,
    grant_for,
    kv_grant,
    principals,
    service_grant,
)
from zhicheng_common.settings import CommonSettings
from zhicheng_common.topology import ALL_SERVICES

SPACE = SubjectSpace.of(CommonSettings(events_prefix="zc"))


def test_every_service_and_the_operator_is_a_principal() -> None:
    assert principals() == (*(s.name for s in ALL_SERVICES), OPERATOR)


def test_each_service_has_one_durable_per_producer_it_consumes() -> None:
    # topology: intake reads certificates, committees, integrity and review; review reads intake;
    # integrity reads review; certificates reads committees, integrity and intake.
    durables = consumer_durables()
    assert durables["intake"] == ("intake-certificates", "intake-committees", "intake-integrity", "intake-review")
    assert durables["certificates"] == ("certificates-committees", "certificates-integrity", "certificates-intake")
    assert durables["review"] == ("review-intake",)
    assert durables["integrity"] == ("integrity-review",)
    # The gateway reads every producer; its feeds and its read model have durables of their own
    # (groups ``feeds`` and ``readmodel``), and so has verification (group ``verify``: only
    # ``gateway-verify-certificates`` is ever created, the table grants the group every producer
    # the gateway consumes).
    assert durables["gateway"] == tuple(
        f"gateway-{group}{producer}"
        for group in ("", "feeds-", "verify-", "readmodel-")
        for producer in ("certificates", "committees", "experts", "integrity", "intake", "review")
    )


def test_a_service_publishes_its_own_subjects_and_creates_durables_only_on_what_it_consumes() -> None:
    grant = service_grant("review", SPACE)
    assert "zc.review.>" in grant.publish
    assert not [s for s in grant.publish if s.startswith("zc.") and s != "zc.review.>"]
    creates = [s for s in grant.publish if s.startswith("$JS.API.CONSUMER.CREATE.ZC.")]
    assert creates == ["$JS.API.CONSUMER.CREATE.ZC.*.zc.intake.>"]
    assert grant.subscribe == ("_INBOX.review.>",)


def test_another_services_durables_are_denied_in_every_form() -> None:
    denied = set(service_grant("review", SPACE).deny_publish)
    for durable in ("intake-committees", "intake-integrity", "intake-review", "integrity-review"):
        assert {
            f"$JS.API.CONSUMER.CREATE.ZC.{durable}.>",
            f"$JS.API.CONSUMER.INFO.ZC.{durable}",
            f"$JS.API.CONSUMER.MSG.NEXT.ZC.{durable}",
            f"$JS.ACK.ZC.{durable}.>",
            f"zc-deadletter.{durable}",
        } <= denied
    assert not [s for s in denied if "review-intake" in s]  # its own is never denied


def test_the_operator_administers_and_republishes_but_listens_only_to_its_inbox() -> None:
    grant = grant_for(OPERATOR, SPACE)
    buckets = set(kv_grant("ZC_CALENDAR", write=True).publish) | set(kv_grant("ZC_CLOCK", write=True).publish)
    assert set(grant.publish) - buckets == {"zc.>", "zc-deadletter.>", "$JS.API.>"}
    assert grant.subscribe == ("_INBOX.operator.>",)


@pytest.mark.parametrize(
    ("template", "bucket", "writing_services"),
    [
        # issue 11 §5: the loaded holiday arrangements live in the deployment's bucket ZC_CALENDAR.
        pytest.param("{stream}_CALENDAR", "ZC_CALENDAR", (), id="calendar"),
        # issue 11 §4: the controlled clock's offset lives in ZC_CLOCK; the gateway's operator route writes it.
        pytest.param("{stream}_CLOCK", "ZC_CLOCK", ("gateway",), id="clock"),
    ],
)
def test_every_service_reads_a_shared_bucket_and_only_the_operator_and_its_writers_write_it(
    template: str, bucket: str, writing_services: tuple[str, ...]
) -> None:
    assert SPACE.bucket(template) == bucket
    for name in (s.name for s in ALL_SERVICES):
        publish = set(service_grant(name, SPACE).publish)
        assert f"$JS.API.DIRECT.GET.KV_{bucket}.>" in publish
        assert f"$JS.API.CONSUMER.CREATE.KV_{bucket}.>" in publish  # a watch
        writes = [s for s in publish if s.startswith(f"$KV.{bucket}")]
        assert writes == ([f"$KV.{bucket}.>"] if name in writing_services else []), name
    assert f"$KV.{bucket}.>" in grant_for(OPERATOR, SPACE).publish


def test_a_subscription_to_a_producer_the_topology_does_not_list_stops_the_service() -> None:
    check_consumes("intake", ["committees.committee.approved", "review.declaration.returned"])
    with pytest.raises(ValueError, match="does not list 'experts' among the producers intake consumes"):
        check_consumes("intake", ["experts.panel.drawn"])
    with pytest.raises(ValueError, match="intake"):  # committees hears review and experts, not intake
        check_consumes("committees", ["intake.declaration.submitted"])
