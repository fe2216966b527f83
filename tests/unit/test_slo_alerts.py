"""Symptom alerts from service level objectives: every generated rule is PromQL that parses (tests/unit/promql.py),
and the rules, run on fixture series as Prometheus runs them, page when the SRE workbook says they should: a burn
just above 14.4 times the budget's rate over an hour and its last 5 minutes pages, one just below does not; a burn
at the budget's own rate pages nobody, a little above it for 3 days opens a ticket; a short spike does not page;
a page stops 5 minutes after the burn does (the short window), though the hour still looks bad. The latency
objective reads the histogram's bucket at its threshold, as ingress-nginx and Istio (Prometheus 2's and 3's
spelling of a bucket bound alike) write it."""

from __future__ import annotations

import pytest
from lark.exceptions import LarkError

from conftest import assert_match_crd_schemas
from shipform import App, Environment, Latency, Mesh, Monitoring, SecureNamespace, Slo, WebService, spec
from shipform.testing import find_object, objects, synthesize
from unit import promql

STEP = 60.0
BUDGET = 0.001
HOST = "web.example.com"
NGINX = {"host": HOST, "namespace": "ingress-nginx", "ingress": "web"}


def shop(root, *, istio: bool = False, slo: Slo | None = None) -> App:
    app = App("shop", registry="ghcr.io/acme", root=root)
    prod = Environment(app, "prod", domain="example.com", monitoring=Monitoring(),
                       **({"mesh": Mesh(), "gateway": "gateways/public"} if istio else {}))
    ns = SecureNamespace(prod, "shop", mesh="istio" if istio else None)
    WebService(ns, "web", image="nginx:1.27.3", port=3000, public=True,
               slo=slo or Slo(availability=1 - BUDGET, latency=Latency(threshold="250ms", target=0.99)))
    WebService(ns, "api", image="nginx:1.27.3", port=8000)
    return app


@pytest.fixture(scope="module")
def files(module_app_root):
    return synthesize(shop(module_app_root))


@pytest.fixture(scope="module")
def istio_files(module_app_root):
    return synthesize(shop(module_app_root, istio=True))


def slo_group(files) -> dict:
    rule = find_object(files, "PrometheusRule", "shop-alerts", "shop")
    return next(g for g in rule["spec"]["groups"] if g["name"] == "shop.shop.web.slo")


def test_every_rule_parses_as_promql(files, istio_files):
    exprs = [r["expr"] for f in (files, istio_files) for o in objects(f, "PrometheusRule")
             for g in o["spec"]["groups"] for r in g["rules"]]
    assert len(exprs) > 20
    for expr in exprs:
        promql.parse(expr)
    with pytest.raises(LarkError):  # the parser refuses what is not PromQL
        promql.parse("sum(rate(x[5m]) > ")


def test_the_rules_are_the_workbooks(files):
    group = slo_group(files)
    records = [r["record"] for r in group["rules"] if "record" in r]
    assert records == [f"service:shipform_slo_{sli}:ratio_rate{w}" for sli in ("errors", "slow")
                       for w in ("5m", "30m", "1h", "6h", "3d")]
    assert all(r["labels"] == {"namespace": "shop", "service": "web"} for r in group["rules"] if "record" in r)
    alerts = {r["alert"]: r for r in group["rules"] if "alert" in r}
    assert {a: r["labels"]["severity"] for a, r in alerts.items()} == {
        "AvailabilityBudgetBurn": "critical", "AvailabilityBudgetBurnSlow": "warning",
        "LatencyBudgetBurn": "critical", "LatencyBudgetBurnSlow": "warning"}
    page = alerts["AvailabilityBudgetBurn"]["expr"]
    assert "ratio_rate1h{namespace=\"shop\", service=\"web\"} > (14.4 * 0.001)" in page
    assert "ratio_rate5m{namespace=\"shop\", service=\"web\"} > (14.4 * 0.001)" in page
    assert "ratio_rate6h{namespace=\"shop\", service=\"web\"} > (6 * 0.001)" in page
    assert "ratio_rate30m{namespace=\"shop\", service=\"web\"} > (6 * 0.001)" in page
    ticket = alerts["AvailabilityBudgetBurnSlow"]["expr"]
    assert "ratio_rate3d{namespace=\"shop\", service=\"web\"} > (1 * 0.001)" in ticket
    assert "ratio_rate6h{namespace=\"shop\", service=\"web\"} > (1 * 0.001)" in ticket
    assert "for" not in alerts["AvailabilityBudgetBurn"]  # the short window resets it, as the workbook's final rule
    assert_match_crd_schemas(objects(files, "PrometheusRule"))


def test_the_burn_rates_scale_with_the_window():
    assert [a.burn_rate(30 * 24) for a in spec.BURN_ALERTS] == [14.4, 6, 1]
    assert [a.burn_rate(28 * 24) for a in spec.BURN_ALERTS] == [13.44, 5.6, 0.933333]


def requests(store: promql.Store, bad_share, minutes: int, rps: float = 10.0) -> None:
    """ingress-nginx's counter, one sample a minute: ``bad_share(minute)`` of the requests fail."""
    ok = bad = 0.0
    for m in range(minutes + 1):
        store.add("nginx_ingress_controller_requests", {**NGINX, "status": "200"}, m * STEP, ok)
        store.add("nginx_ingress_controller_requests", {**NGINX, "status": "503"}, m * STEP, bad)
        share = bad_share(m)
        ok, bad = ok + rps * STEP * (1 - share), bad + rps * STEP * share


def firing(group: dict, store: promql.Store, minutes: range) -> dict[int, set[str]]:
    """{minute: the alerts firing then}, the group run every minute of ``minutes`` in order."""
    return {m: {a for a, v in promql.run_group(group, store, m * STEP).items() if v} for m in minutes}


def burn(times_budget: float, start: int, stop: int | None = None):
    return lambda m: BUDGET * times_budget if start <= m < (stop if stop is not None else 10**9) else 0.0


def test_a_burn_just_above_14_4_for_an_hour_pages(files):
    store = promql.Store()
    requests(store, burn(15, start=120), 120 + 70)
    seen = firing(slo_group(files), store, range(100, 191, 5))
    assert "AvailabilityBudgetBurn" not in seen[150]  # half an hour: the hour's share is not there yet
    assert "AvailabilityBudgetBurn" in seen[185]


def test_a_burn_just_below_14_4_does_not_page(files):
    store = promql.Store()
    requests(store, burn(14, start=120), 120 + 70)
    seen = firing(slo_group(files), store, range(100, 191, 5))
    assert not any("AvailabilityBudgetBurn" in alerts for alerts in seen.values())


def test_a_burn_at_the_budgets_rate_pages_nobody_and_a_little_above_opens_a_ticket(files):
    days = 3 * 24 * 60 + 7 * 60
    for times, expected in ((0.9, set()), (1.25, {"AvailabilityBudgetBurnSlow"})):
        store = promql.Store()
        requests(store, burn(times, start=0), days)
        seen = firing(slo_group(files), store, range(0, days + 1, 60))
        assert all(not (alerts & {"AvailabilityBudgetBurn"}) for alerts in seen.values()), times
        assert seen[days] == expected, times


def test_a_short_spike_does_not_page(files):
    store = promql.Store()
    # 5 minutes at 50 times the budget's rate (0.6% of a 30-day budget), after 6 quiet hours (as much as the longest
    # window the spike could dominate: with less history, the ticket's windows see mostly the spike).
    requests(store, burn(50, start=400, stop=405), 520)
    seen = firing(slo_group(files), store, range(390, 521, 1))
    assert not any(seen.values())


def test_a_page_stops_within_minutes_of_the_burn_though_the_hour_still_burns(files):
    store = promql.Store()
    group = slo_group(files)
    # 65 minutes at 20 times after 6 quiet hours: the hour's pair pages, the 6 hours' (3.6 times) does not.
    requests(store, burn(20, start=400, stop=465), 520)
    assert "AvailabilityBudgetBurn" in firing(group, store, range(464, 465))[464]
    seen = firing(group, store, range(465, 476))
    assert "AvailabilityBudgetBurn" not in seen[475]
    hour = promql.Evaluator(store, 475 * STEP).run('service:shipform_slo_errors:ratio_rate1h{service="web"}')
    assert next(iter(hour.values())) > 14.4 * BUDGET  # only the short window let it go


def latency(store: promql.Store, name: str, labels: dict, bounds: list[str], slow_share: float, minutes: int,
            rps: float = 10.0) -> None:
    """A request duration histogram (cumulative buckets) from minute 120 on: ``slow_share`` of the requests slower
    than the second bound and faster than the third, the rest faster than the first."""
    counts = dict.fromkeys(bounds, 0.0)
    for m in range(minutes + 1):
        for bound in bounds:
            store.add(name, {**labels, "le": bound}, m * STEP, counts[bound])
        share = slow_share if m >= 120 else 0.0
        for i, bound in enumerate(bounds):
            counts[bound] += rps * STEP * ((1 - share) if i < 2 else 1)


@pytest.mark.parametrize("slow, pages", [(0.2, True), (0.05, False)])
def test_latency_pages_by_the_share_slower_than_the_threshold(files, slow, pages):
    store = promql.Store()
    latency(store, "nginx_ingress_controller_request_duration_seconds_bucket", NGINX,
            ["0.1", "0.25", "0.5", "+Inf"], slow, 190)
    seen = firing(slo_group(files), store, range(185, 186))
    assert ("LatencyBudgetBurn" in seen[185]) is pages


@pytest.mark.parametrize("spelling", ["250", "250.0"])  # Prometheus 2 keeps the exporter's, 3 normalizes to floats
def test_istio_measures_a_public_service_behind_a_gateway_in_its_mesh(istio_files, spelling):
    group = slo_group(istio_files)
    assert 'istio_requests_total{reporter="destination", destination_service_namespace="shop", ' \
           'destination_service_name="web", response_code=~"5.."}' in group["rules"][0]["expr"]
    labels = {"reporter": "destination", "destination_service_namespace": "shop", "destination_service_name": "web"}
    store = promql.Store()
    latency(store, "istio_request_duration_milliseconds_bucket", labels, ["100", spelling, "500", "+Inf"], 0.2, 190)
    assert "LatencyBudgetBurn" in firing(group, store, range(185, 186))[185]
