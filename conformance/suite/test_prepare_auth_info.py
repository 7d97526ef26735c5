"""prepareAuthInfo, wallet -> Alipay+: the suite plays the Alipay+ gateway and judges the wallet
as a client."""

from __future__ import annotations

import pytest

from conformance.engine.recorder import Recorder
from conformance.gateway.play import Player
from conformance.gateway.scenarios import SCENARIOS

API = "prepareAuthInfo"
pytestmark = pytest.mark.api(API)


@pytest.mark.family("flow", "transport", "schema", "headers", "signature", "behaviour", "retry")
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_wallet_flow(
    recorder: Recorder, gateway: Player, scenario: str, request: pytest.FixtureRequest
) -> None:
    if gateway.trigger is None:
        pytest.skip("no [trigger] in the profile: flows need `conformance listen` and manual scans")
    if not hasattr(request.config, "workerinput"):  # a worker process runs only some scenarios
        gateway.plan(_scenarios(request.session.items))
    recorder.witnessed(gateway.play(SCENARIOS[scenario]))


def _scenarios(items: list[pytest.Item]) -> list[str]:
    """The flows this run plays, in order."""
    return [
        str(item.callspec.params["scenario"])
        for item in items
        if isinstance(item, pytest.Function) and item.originalname == "test_wallet_flow"
    ]


@pytest.mark.listen
@pytest.mark.family("flow", "transport", "schema", "headers", "signature", "behaviour", "retry")
def test_listen(recorder: Recorder, gateway: Player, request: pytest.FixtureRequest) -> None:
    seconds = request.config.getoption("conformance_listen")
    if seconds is None:
        pytest.skip("only under `conformance listen`")
    recorder.witnessed(gateway.listen(float(seconds)))
