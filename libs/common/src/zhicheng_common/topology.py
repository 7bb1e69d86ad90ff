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

    @property
    def package(self) -> str:
        return f"zhicheng_{self.name}"

    @property
    def app_factory(self) -> str:
        return f"{self.package}.app:create_app"

    @property
    def default_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


GATEWAY = ServiceInfo("gateway", 8000, ("auth", "users", "gateway"))

DOMAIN_SERVICES: tuple[ServiceInfo, ...] = (
    ServiceInfo("intake", 8001, ("declarations",), consumes=("committees", "integrity", "review")),
    ServiceInfo("review", 8002, ("reviews",), consumes=("intake",)),
    ServiceInfo("experts", 8003, ("experts",), consumes=("committees", "integrity", "review")),
    ServiceInfo("committees", 8004, ("committees",)),
    ServiceInfo("integrity", 8005, ("integrity",), consumes=("review",)),
    ServiceInfo("certificates", 8006, ("certificates",)),
)

ALL_SERVICES: tuple[ServiceInfo, ...] = (*DOMAIN_SERVICES, GATEWAY)


def service(name: str) -> ServiceInfo:
    for info in ALL_SERVICES:
        if info.name == name:
            return info
    raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in ALL_SERVICES)}")
