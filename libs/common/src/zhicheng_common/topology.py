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
    # The title and description of its OpenAPI document (and of its docs page).
    title: str = ""
    description: str = ""

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


GATEWAY = ServiceInfo(
    "gateway",
    8000,
    ("auth", "users", "gateway"),
    title="网关 (gateway)",
    description="Sign-in, users and jurisdiction; the one entry point forwarding to every service.",
)

DOMAIN_SERVICES: tuple[ServiceInfo, ...] = (
    ServiceInfo(
        "intake",
        8001,
        ("declarations",),
        consumes=("committees", "integrity", "review"),
        title="申报受理 (declaration intake)",
        description="Declarations (申报) and the eligibility rules.",
    ),
    ServiceInfo(
        "review",
        8002,
        ("reviews",),
        consumes=("intake",),
        title="资格审查 (qualification review)",
        description="The multi-level qualification review (资格审查), publicity (公示) and objections.",
    ),
    ServiceInfo(
        "experts",
        8003,
        ("experts",),
        title="评审专家库 (expert pool)",
        description="The expert pool (专家库), terms, recusal and verifiable random draws.",
    ),
    ServiceInfo(
        "committees",
        8004,
        ("committees",),
        title="评审委员会 (committees)",
        description="Committee approval and filing (核准备案), annual plans, meetings, votes, results.",
    ),
    ServiceInfo(
        "integrity",
        8005,
        ("integrity",),
        consumes=("review",),
        title="诚信档案 (integrity records)",
        description="Credit and integrity records (诚信档案) and their effects on the other services.",
    ),
    ServiceInfo(
        "certificates",
        8006,
        ("certificates",),
        title="电子证书 (certificates)",
        description="Signed electronic certificates, verification and revocation.",
    ),
)

ALL_SERVICES: tuple[ServiceInfo, ...] = (*DOMAIN_SERVICES, GATEWAY)


def service(name: str) -> ServiceInfo:
    for info in ALL_SERVICES:
        if info.name == name:
            return info
    raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in ALL_SERVICES)}")
