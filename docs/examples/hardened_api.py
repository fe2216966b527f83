# docs/examples/hardened_api.py
from typing import Unpack

from constructs import Construct
from shipform import Health, Resources, WebService, WebServiceProps


class HardenedApi(WebService):
    def __init__(self, scope: Construct, id: str, **props: Unpack[WebServiceProps]) -> None:
        props.setdefault("health", Health.http("/healthz"))
        props.setdefault("resources", Resources("100m", "192Mi", "500m", "384Mi"))
        super().__init__(scope, id, **props)
