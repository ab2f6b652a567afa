"""One Powertools Logger and Metrics for every function. No message bodies or personal data
in logs: log ids and counts only."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="mspdesk")
metrics = Metrics(namespace="mspdesk", service="mspdesk")
