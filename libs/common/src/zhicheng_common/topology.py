"""Which services exist, their packages, gateway areas, default loopback ports, and whose events
each consumes (the one table NATS permissions are derived from: zhicheng_common.events.permissions)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    port: int
    areas: tuple[str, ...]  # first path segment(s) under /api/v1 the gateway forwards here
    # Producers whose events this service consumes. NATS lets it read only these, and a
    # subscription to any other producer stops the service at start (permissions.check_consumes).
    consumes: tuple[str, ...] = ()
    # Named groups of its subscriptions with durables of their own, ``<service>-<group>-<producer>``
    # (``zhicheng_common.events.consumer.Subscription.group``); their permissions follow too.
    consumer_groups: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """The title of its OpenAPI document and docs page."""
        return ABOUT[self.name][0]

    @property
    def description(self) -> str:
        return ABOUT[self.name][1]

    @property
    def area(self) -> str:
        """The area its own OpenAPI document and docs are served under (``/api/v1/<area>/openapi.json``)."""
        return self.areas[-1]

    @property
    def package(self) -> str:
        return f"zhicheng_{self.name}"

    @property
    def app_factory(self) -> str:
        return f"{self.package}.app:create_app"

    @property
    def default_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# Title and description of each service's OpenAPI document.
ABOUT: dict[str, tuple[str, str]] = {
    "gateway": ("网关 (gateway)", "Sign-in, users and jurisdiction; the one entry point forwarding to every service."),
    "intake": ("申报受理 (declaration intake)", "Declarations (申报) and the eligibility rules."),
    "review": (
        "资格审查 (qualification review)",
        "The multi-level qualification review (资格审查), publicity (公示) and objections.",
    ),
    "experts": ("评审专家库 (expert pool)", "The expert pool (专家库), terms, recusal and verifiable random draws."),
    "committees": (
        "评审委员会 (committees)",
        "Committee approval and filing (核准备案), annual plans, meetings, votes, results.",
    ),
    "integrity": (
        "诚信档案 (integrity records)",
        "Credit and integrity records (诚信档案) and their effects on the other services.",
    ),
    "certificates": ("电子证书 (certificates)", "Signed electronic certificates, verification and revocation."),
}

# The gateway reads every producer: the province read model and the inter-agency feeds (issue 17).
GATEWAY = ServiceInfo(
    "gateway",
    8000,
    ("auth", "users", "gateway"),
    consumes=("certificates", "committees", "experts", "integrity", "intake", "review"),
    consumer_groups=("feeds", "verify", "readmodel"),
)

DOMAIN_SERVICES: tuple[ServiceInfo, ...] = (
    ServiceInfo("intake", 8001, ("declarations",), consumes=("certificates", "committees", "integrity", "review")),
    ServiceInfo("review", 8002, ("reviews",), consumes=("intake",)),
    ServiceInfo("experts", 8003, ("experts",), consumes=("committees", "integrity", "review")),
    ServiceInfo("committees", 8004, ("committees",), consumes=("experts", "review")),
    ServiceInfo("integrity", 8005, ("integrity",), consumes=("review",)),
    ServiceInfo("certificates", 8006, ("certificates",), consumes=("committees", "integrity", "intake")),
)

ALL_SERVICES: tuple[ServiceInfo, ...] = (*DOMAIN_SERVICES, GATEWAY)


def service(name: str) -> ServiceInfo:
    for info in ALL_SERVICES:
        if info.name == name:
            return info
    raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in ALL_SERVICES)}")
