"""App factory of the experts service: ``uvicorn zhicheng_experts.app:create_app --factory``."""

from zhicheng_common.app import service_app_factory
from zhicheng_experts import api, consumers, settings

create_app = service_app_factory(settings.ExpertsSettings, api.routers, consumers.SUBSCRIPTIONS)
