"""The reference of the import-time figures: a Lambda handler importing only Powertools and
boto3, as small as a real function can be."""

from __future__ import annotations

from typing import Any

import boto3
from aws_lambda_powertools import Logger

logger = Logger(service="bare")


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 200, "body": boto3.__version__}
