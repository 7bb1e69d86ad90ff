"""Which services exist, their packages, gateway areas and default loopback ports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    port: int
    areas: tuple[str, ...]  # first path segment(s) under /api/v1 the gateway forwards here

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
    ServiceInfo("intake", 8001, ("declarations",)),
    ServiceInfo("review", 8002, ("reviews",)),
    ServiceInfo("experts", 8003, ("experts",)),
    ServiceInfo("committees", 8004, ("committees",)),
    ServiceInfo("integrity", 8005, ("integrity",)),
    ServiceInfo("certificates", 8006, ("certificates",)),
)

ALL_SERVICES: tuple[ServiceInfo, ...] = (*DOMAIN_SERVICES, GATEWAY)


def service(name: str) -> ServiceInfo:
    for info in ALL_SERVICES:
        if info.name == name:
            return info
    raise KeyError(f"unknown service {name!r}; known: {', '.join(s.name for s in ALL_SERVICES)}")
