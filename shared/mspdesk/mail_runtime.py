"""Builds the mail services once per container with their AWS adapters: S3 for raw mail and
attachments, SES for sending. Used by functions/ingest_email, functions/mail_outbound, the API's
mail routes and `mspdesk replay`. Each builder imports only its own service, so a function
loads only what it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mspdesk.config import Settings
from mspdesk.mail_config import MailSettings
from mspdesk.runtime import aws_client, build_deps
from mspdesk.services.deps import Deps

if TYPE_CHECKING:
    from mspdesk.services.attachments import AttachmentService
    from mspdesk.services.ingest import IngestService
    from mspdesk.services.mail_out import OutboundMail


def ingest_service(config: Settings, mail: MailSettings, deps: Deps | None = None) -> IngestService:
    from mspdesk.adapters.blobs import S3Blobs
    from mspdesk.services.ingest import IngestService

    # Every mail is read from S3: the client is made at cold start, not on the first mail.
    blobs = S3Blobs(aws_client("s3", config))
    return IngestService(deps or build_deps(config), blobs, mail)


def outbound_service(
    config: Settings, mail: MailSettings, deps: Deps | None = None
) -> OutboundMail:
    from mspdesk.adapters.blobs import S3Blobs
    from mspdesk.adapters.mail_sender import SesMailSender
    from mspdesk.services.mail_out import OutboundMail

    sender = (
        SesMailSender(lambda: aws_client("ses", config), config.region) if mail.mail_from else None
    )
    files = S3Blobs(lambda: aws_client("s3", config))  # for replies that carry files
    return OutboundMail(deps or build_deps(config), mail, sender, files=files)


def attachment_service(config: Settings, mail: MailSettings, deps: Deps) -> AttachmentService:
    """Uploads and downloads of ticket files. The S3 client is made on the first file: the
    API's cold start does not pay for it."""
    from mspdesk.adapters.blobs import S3Blobs
    from mspdesk.services.attachments import AttachmentService

    return AttachmentService(deps, S3Blobs(lambda: _s3_for_browsers(config)), mail)


def _s3_for_browsers(config: Settings) -> Any:
    """An S3 client whose presigned URLs name the bucket's regional endpoint: the one the web
    app's content security policy lets the browser reach."""
    if config.aws_endpoint_url:
        return aws_client("s3", config)
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3",
        region_name=config.region,
        endpoint_url=f"https://s3.{config.region}.amazonaws.com",
        config=Config(s3={"addressing_style": "virtual"}, signature_version="s3v4"),
    )
