"""Triage on the local stack: the bucket the CDK app would make for the index snapshot and
the text model, and the history indexed at start (moto keeps no S3 objects between runs)."""

from __future__ import annotations

import contextlib

from mspdesk.config import Settings
from mspdesk.runtime import aws_client
from mspdesk.store.triage import IndexState
from mspdesk.triage_config import triage_config


def prepare_local_triage(settings: Settings) -> None:
    s3 = aws_client("s3", settings)
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(
            Bucket=triage_config().triage_bucket,
            CreateBucketConfiguration={"LocationConstraint": settings.region},
        )


def index_history() -> IndexState:
    """Fits the local text model on the resolved tickets and indexes them, in the triage
    function's own service, so its first ticket finds the index loaded."""
    from functions.triage.handler import service

    return service().reindex()
