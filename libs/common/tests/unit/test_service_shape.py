"""One shape for every service (issue 13, docs/service-shape.md): the same file vocabulary, error
classes as tables of problem types, journal entries through ``zhicheng_common.journaling``, and a
typed context built once in ``create_app()``.

Committees, certificates and the gateway are being split into feature folders while this holds: of
those three only the top-level modules are held to the vocabulary. Every service, the gateway too,
journals through ``journaling`` only.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

from zhicheng_common.problems import ProblemError

SERVICES = ("intake", "review", "experts", "committees", "integrity", "certificates", "gateway")
ROOT = Path(__file__).resolve().parents[4] / "services"

# STYLE.md / docs/service-shape.md: the modules every service and feature folder is made of.
VOCABULARY = frozenset(
    {
        "__init__",
        "api",
        "app",
        "auth",
        "consumers",
        "deps",  # the typed context and its request dependencies, shared by feature folders
        "domain",
        "errors",
        "events",
        "models",
        "repository",
        "schemas",
        "service",
        "settings",
    }
)
# A module outside the vocabulary, by service, with what it holds.
EXTRAS: dict[str, frozenset[str]] = {
    "intake": frozenset(
        {
            "examples",  # the OpenAPI examples of a first valid declaration
            "reference",  # the catalog lookups behind the reference routes
            "storage",  # the attachment stores (PostgreSQL, S3)
        }
    ),
    "committees": frozenset(
        {
            "ballot/keyring",  # the in-memory keys of the open rounds' envelopes (docs/secret-ballot.md)
            "result/meeting_file",  # the meeting file rendered as PDF and xlsx (CM-11)
        }
    ),
    "experts": frozenset(
        {
            "draw/evidence",  # the pure zc-draw-v1 derivation and the evidence pack
            "draw/notifier",  # the log and SMTP notifiers
            "expert/files",  # CSV and xlsx import and export
        }
    ),
    "gateway": frozenset(
        {
            "openapi",  # the merged OpenAPI document
            "proxy",  # the forwarding to the services
            "reference",  # the reference routes
            "verify/page",  # the /verify page's HTML, its inline style sheet and its CSP
        }
    ),
}
# Being split into feature folders (issues 15-17): only their top level is held to the vocabulary.
UNDER_CONSTRUCTION = frozenset({"committees", "certificates", "gateway"})


def _modules(service: str) -> list[str]:
    """The service package's modules, as paths without ``.py`` relative to the package."""
    package = ROOT / service / "src" / f"zhicheng_{service}"
    return sorted(str(p.relative_to(package).with_suffix("")) for p in package.rglob("*.py"))


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_modules_of_a_service(service: str) -> None:
    present = set(_modules(service))
    assert {"__init__", "app", "settings", "api", "consumers", "models"} <= present


@pytest.mark.parametrize("service", SERVICES)
def test_the_modules_of_a_service_are_named_from_the_file_vocabulary(service: str) -> None:
    extras = EXTRAS.get(service, frozenset())
    modules = _modules(service)
    if service in UNDER_CONSTRUCTION:
        modules = [m for m in modules if "/" not in m]
    outside = [m for m in modules if m.rsplit("/", 1)[-1] not in VOCABULARY and m not in extras]
    assert outside == [], f"{service}: name these in EXTRAS with what they hold, or rename them"


def test_the_vocabulary_check_sees_feature_folders() -> None:
    # The experts' feature folders are walked: a file in one counts by its own name.
    assert {"draw/service", "pool/repository", "expert/errors"} <= set(_modules("experts"))
    assert "draw/evidence" in EXTRAS["experts"]


def _errors_modules(service: str) -> list[str]:
    package = importlib.import_module(f"zhicheng_{service}")
    names = [f"zhicheng_{service}.errors"] if (Path(package.__file__ or "").parent / "errors.py").exists() else []
    for info in pkgutil.iter_modules(package.__path__):
        if info.ispkg and (Path(package.__path__[0]) / info.name / "errors.py").exists():
            names.append(f"zhicheng_{service}.{info.name}.errors")
    return names


@pytest.mark.parametrize("service", SERVICES)
def test_errors_modules_are_tables_of_problem_types_with_distinct_codes(service: str) -> None:
    # A type may keep its base's code (a refusal whose code comes with each raise, the shared 503);
    # a code a type declares is its own within the service.
    codes: dict[str, str] = {}
    for name in _errors_modules(service):
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name:
                continue  # imported, not declared here
            assert issubclass(cls, ProblemError), f"{name}.{cls.__name__} is not a problem type"
            if "code" not in cls.__dict__:
                continue
            assert cls.code not in codes, f"{cls.code} is both {codes.get(cls.code)} and {name}.{cls.__name__}"
            codes[cls.code] = f"{name}.{cls.__name__}"


def test_a_problem_type_declared_as_one_line_carries_its_status_code_and_title() -> None:
    class Closed(ProblemError, status=409, code="window_closed", title="申报窗口已关闭"): ...

    assert (Closed.status, Closed.code, Closed.title) == (409, "window_closed", "申报窗口已关闭")
    problem = Closed("2025年度申报已于12月31日截止").to_problem()
    assert (problem.status, problem.code, problem.detail) == (409, "window_closed", "2025年度申报已于12月31日截止")


@pytest.mark.parametrize("service", SERVICES)
def test_use_cases_journal_and_publish_through_zhicheng_common_journaling(service: str) -> None:
    package = ROOT / service / "src" / f"zhicheng_{service}"
    direct = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "import append_entry" in path.read_text(encoding="utf-8")
    ]
    assert direct == [], f"{service}: journal through journaling.RecordJournal / journal_change, not append_entry"


@pytest.mark.parametrize("service", ["intake", "review", "experts", "integrity", "committees", "certificates"])
def test_a_service_builds_its_typed_context_once_in_create_app(service: str) -> None:
    app = importlib.import_module(f"zhicheng_{service}.app").create_app()
    context = app.state.context
    assert context is not None
    assert type(context).__module__.startswith(f"zhicheng_{service}.")


# The ways a module would build China's time zone of its own instead of zhicheng_common.clock.CHINA.
OWN_CHINA_ZONE = re.compile(r"ZoneInfo\(\s*[\"']Asia/Shanghai[\"']\s*\)|timedelta\(\s*hours\s*=\s*8\s*\)")


def test_the_china_date_and_zone_come_from_zhicheng_common_clock_only() -> None:
    # Issue 13: four helpers for "today in China" became clock.china_today; none may grow back.
    sources = [*ROOT.glob("*/src/**/*.py"), *(ROOT.parent / "libs" / "common" / "src").rglob("*.py")]
    own = [
        str(path.relative_to(ROOT.parent))
        for path in sources
        if path.name != "clock.py" and OWN_CHINA_ZONE.search(path.read_text(encoding="utf-8"))
    ]
    assert own == [], "use zhicheng_common.clock.china_today / CHINA"


def test_the_china_zone_check_sees_both_spellings() -> None:
    assert OWN_CHINA_ZONE.search('CHINA = ZoneInfo("Asia/Shanghai")')
    assert OWN_CHINA_ZONE.search("tz = timezone(timedelta(hours=8))")
    assert not OWN_CHINA_ZONE.search("timedelta(hours=18)")
