"""More of the bad-input table (tests/unit/bad_inputs.py, run by test_errors.py): alerts that would reach nobody or
mean nothing. Receivers without anyone to page, credentials written as values, service level objectives of a
service whose requests nothing counts, and latency thresholds no histogram bucket measures."""

from __future__ import annotations

SLACK = 'Slack(webhook=SecretRef("alerting", "slack-webhook"))'
PAGER = 'PagerDuty(routing_key=SecretRef("alerting", "pagerduty-key"))'
STAGE = 'Environment(app, "stage", monitoring=Monitoring(receivers=Receivers('
WATCHED = ('stage = Environment(app, "stage", domain="example.com", monitoring=Monitoring())\n'
           'WebService(stage, "web", image="nginx:1.27.3", port=80, public=True, slo=')
TRAEFIK = ('stage = Environment(app, "stage", domain="example.com", ingress_class="traefik", '
           'monitoring=Monitoring())\nWebService(stage, "web", image="nginx:1.27.3", port=80, public=True, slo=')

ALERT_CASES = [
    ("receivers-nobody-paged", STAGE + f'critical=[], warning=[{SLACK}])))', "shop/stage",
     "monitoring.receivers.critical"),
    ("receivers-not-a-receiver", STAGE + f'critical=["#oncall"], warning=[{SLACK}])))', "shop/stage",
     "monitoring.receivers.critical[0]"),
    ("slack-webhook-as-a-value", STAGE + f'critical=[{PAGER}], warning=[Slack(webhook='
     '"https://hooks.slack.com/services/T0/B0/XXXX")])))', "shop/stage", "monitoring.receivers.warning[0].webhook"),
    ("slack-channel-with-spaces", STAGE + f'critical=[{PAGER}], warning=[Slack(webhook=SecretRef("alerting", '
     '"slack-webhook"), channel="#shop alerts")])))', "shop/stage", "monitoring.receivers.warning[0].channel"),
    ("webhook-url-with-a-password", STAGE + f'critical=[{PAGER}], warning=[Webhook(url='
     '"https://bot:hunter2-value@chat.example.com/hook")])))', "shop/stage", "monitoring.receivers.warning[0].url"),
    ("webhook-url-not-http", STAGE + f'critical=[{PAGER}], warning=[Webhook(url="chat.example.com/hook")])))',
     "shop/stage", "monitoring.receivers.warning[0].url"),
    ("email-password-without-user", STAGE + f'critical=[{PAGER}], warning=[Email(to="oncall@example.com", '
     'sender="am@example.com", smarthost="smtp.example.com:587", password=SecretRef("alerting", "smtp"))])))',
     "shop/stage", "monitoring.receivers.warning[0].password"),
    ("email-smarthost-without-port", STAGE + f'critical=[{PAGER}], warning=[Email(to="oncall@example.com", '
     'sender="am@example.com", smarthost="smtp.example.com")])))', "shop/stage",
     "monitoring.receivers.warning[0].smarthost"),
    ("email-two-recipients-in-one", STAGE + f'critical=[{PAGER}], warning=[Email(to="a@example.com b@example.com", '
     'sender="am@example.com", smarthost="smtp.example.com:587")])))', "shop/stage",
     "monitoring.receivers.warning[0].to"),
    ("slo-of-a-private-service", 'stage = Environment(app, "stage", monitoring=Monitoring())\n'
     'WebService(stage, "api", image="nginx:1.27.3", port=80, slo=Slo())', "shop/stage/api", "slo"),
    ("slo-without-monitoring", 'WebService(prod, "web", image="nginx:1.27.3", port=80, public=True, slo=Slo())',
     "shop/prod/web", "slo"),
    ("slo-where-no-request-metrics-are-known", TRAEFIK + 'Slo())', "shop/stage/web", "slo"),
    ("slo-without-objective", WATCHED + 'Slo(availability=None))', "shop/stage/web", "slo"),
    ("slo-availability-as-percent", WATCHED + 'Slo(availability=99.9))', "shop/stage/web", "slo.availability"),
    ("slo-availability-that-could-never-page", WATCHED + 'Slo(availability=0.9))', "shop/stage/web",
     "slo.availability"),
    ("slo-window-in-hours", WATCHED + 'Slo(window="720h"))', "shop/stage/web", "slo.window"),
    ("slo-latency-between-buckets", WATCHED + 'Slo(latency=Latency(threshold="300ms")))', "shop/stage/web",
     "slo.latency.threshold"),
    ("slo-latency-in-words", WATCHED + 'Slo(latency=Latency(threshold="fast")))', "shop/stage/web",
     "slo.latency.threshold"),
]
