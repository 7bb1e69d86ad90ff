"""App factory of the certificates service: ``uvicorn zhicheng_certificates.app:create_app --factory``."""

from zhicheng_certificates import api, consumers, settings
from zhicheng_common.app import service_app_factory

create_app = service_app_factory(settings.CertificatesSettings, api.routers, consumers.SUBSCRIPTIONS)
