"""Mail in and out (issue 3): an SES receipt rule set whose rule stores each raw message in the
mail bucket (S3 action, encrypted, lifecycle) and then invokes functions/ingest_email
(Lambda action, asynchronous: retries, then the function's dead-letter queue); and
functions/mail_outbound, which sends acknowledgements and agents' replies by SES.

The order of the two actions is AWS's documented pattern for processing received mail in
Lambda: the object exists before the function runs, and whatever happens to the function the
message stays in S3 for `mspdesk replay`. CloudFormation cannot make a rule set the active one:
after the first deploy, run `aws ses set-active-receipt-rule-set --rule-set-name <name>` (the
stack prints the name), and verify the receiving domain's MX record for SES.

Context: `mail_from` (the verified SES identity mail is sent from; without it no mail is sent),
`mail_recipients` (comma-separated addresses or domains the rule accepts; default: every
recipient of the account's verified domains), `mail_retention_days` (default 730).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CfnElement, CfnOutput, Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from constructs import Construct

from infra.components.functions import DeskFunction, DeskFunctions
from infra.config import StageConfig
from infra.nag import acknowledge
from mspdesk.mail_config import MailSettings

# The functions' defaults (not this machine's environment): the two sides must agree.
INBOUND_PREFIX: str = MailSettings.model_fields["inbound_prefix"].default
ATTACHMENT_PREFIX: str = MailSettings.model_fields["attachment_prefix"].default
DEFAULT_RETENTION_DAYS = 730


def _context_list(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


class DeskMail(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: DeskFunctions,
        mail_from: str | None = None,
        recipients: list[str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        node = self.node
        # S3 log delivery granted by bucket policy, not the legacy LogDeliveryWrite ACL (the
        # CDK's recommended behaviour, still behind a flag): set before any child exists.
        node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self.mail_from = mail_from or node.try_get_context("mail_from") or None
        if recipients is None:
            recipients = _context_list(node.try_get_context("mail_recipients"))
        retention = int(node.try_get_context("mail_retention_days") or DEFAULT_RETENTION_DAYS)

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            # No ACLs: S3 log delivery is granted by the bucket policy, not LogDeliveryWrite.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            lifecycle_rules=[s3.LifecycleRule(id="expire", expiration=Duration.days(365))],
            removal_policy=config.removal_policy,
        )
        acknowledge(
            self.access_logs,
            "AwsSolutions-S1",
            "This bucket holds the mail bucket's server access logs; logging it into itself "
            "would log its own log writes without end.",
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # A key overwritten or deleted by mistake keeps its earlier version a while.
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="mail/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id=f"keep-{name.strip('/')}",
                    prefix=prefix,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(30),
                        )
                    ],
                    expiration=Duration.days(retention),
                    noncurrent_version_expiration=Duration.days(30),
                )
                for name, prefix in (("raw", INBOUND_PREFIX), ("files", ATTACHMENT_PREFIX))
            ]
            + [
                # A browser's upload is copied under attachments/files/ once a ticket names it;
                # what nobody named is gone in two days.
                s3.LifecycleRule(
                    id="unclaimed-uploads",
                    prefix=f"{ATTACHMENT_PREFIX}uploads/",
                    expiration=Duration.days(2),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="abort-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)
                ),
            ],
            removal_policy=config.removal_policy,
        )

        environment = {
            "MSPDESK_MAIL_BUCKET": self.bucket.bucket_name,
            "MSPDESK_INBOUND_PREFIX": INBOUND_PREFIX,
            "MSPDESK_ATTACHMENT_PREFIX": ATTACHMENT_PREFIX,
        }
        self.environment = dict(environment)  # where files are: for the API too
        if self.mail_from:
            environment["MSPDESK_MAIL_FROM"] = str(self.mail_from)
        self.ingest: DeskFunction = functions.add(
            "ingest_email",
            asynchronous=True,
            # Parsing is CPU-bound: more memory is more CPU, and big mail needs the room.
            memory_size=1024,
            timeout=Duration.minutes(2),
            retry_attempts=2,
            max_event_age=Duration.hours(6),
            environment=environment,
        )
        if self.ingest.dead_letter_queue is not None:
            environment_dlq = self.ingest.dead_letter_queue.queue_url
            self.ingest.function.add_environment("MSPDESK_INGEST_DLQ_URL", environment_dlq)
        self._grant_objects(
            self.ingest,
            "IngestReadsMail",
            read=f"{INBOUND_PREFIX}*",
            write=f"{ATTACHMENT_PREFIX}*",
        )
        self.outbound: DeskFunction = functions.add(
            "mail_outbound",
            asynchronous=True,
            timeout=Duration.seconds(60),
            environment=environment,
        )
        if self.mail_from:
            self._allow_sending(self.outbound, str(self.mail_from))
        # An agent's reply mails the files it carries.
        self._grant_objects(self.outbound, "OutboundReadsFiles", read=f"{ATTACHMENT_PREFIX}*")

        self.rule_set = ses.ReceiptRuleSet(
            self,
            "Inbound",
            receipt_rule_set_name=f"{config.prefix}-inbound",
        )
        self.rule = self.rule_set.add_rule(
            "StoreThenIngest",
            recipients=recipients or None,
            scan_enabled=True,
            tls_policy=ses.TlsPolicy.REQUIRE,
            enabled=True,
            actions=[
                ses_actions.S3(bucket=self.bucket, object_key_prefix=INBOUND_PREFIX),
                ses_actions.Lambda(
                    function=self.ingest.function,
                    invocation_type=ses_actions.LambdaInvocationType.EVENT,
                ),
            ],
        )
        CfnOutput(scope, "MailBucketName", value=self.bucket.bucket_name)
        CfnOutput(scope, "MailReceiptRuleSet", value=f"{config.prefix}-inbound")
        if self.ingest.dead_letter_queue is not None:
            CfnOutput(scope, "IngestDeadLetterQueueUrl", value=environment_dlq)

    def serve_files(self, api: DeskFunction, origins: Sequence[str]) -> None:
        """The API's share of the bucket. It assigns unmatched mail (reads the raw mail, stores
        its attachments) and signs browsers' uploads (a presigned POST under
        attachments/uploads/) and downloads with its own role, so it holds the rights it hands
        out. The web app's origins may POST to the bucket."""
        for name, value in self.environment.items():
            api.function.add_environment(name, value)
        self._grant_objects(
            api, "ApiReadsMail", read=f"{INBOUND_PREFIX}*", write=f"{ATTACHMENT_PREFIX}*"
        )
        self._grant_objects(api, "ApiSignsFiles", read=f"{ATTACHMENT_PREFIX}*")
        self.bucket.add_cors_rule(
            allowed_methods=[s3.HttpMethods.POST],
            allowed_origins=list(origins),
            allowed_headers=["*"],
            max_age=3600,
        )

    def _grant_objects(
        self, function: DeskFunction, name: str, *, read: str, write: str | None = None
    ) -> None:
        """GetObject (and HeadObject) under one prefix, PutObject under another: only there.
        ListBucket too, so that a missing object is a 404 (not found), not a 403."""
        statements = [
            iam.PolicyStatement(
                actions=["s3:GetObject"], resources=[self.bucket.arn_for_objects(read)]
            ),
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]),
        ]
        if write is not None:
            statements.append(
                iam.PolicyStatement(
                    actions=["s3:PutObject"], resources=[self.bucket.arn_for_objects(write)]
                )
            )
        policy = iam.Policy(self, name, roles=[function.role], statements=statements)
        bucket = self._nag_arn()
        for pattern in dict.fromkeys(p for p in (read, write) if p is not None):
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[Resource::{bucket}/{pattern}]",
                "Object keys are made as files arrive (SES names received mail, attachments "
                "are keyed by the mail's Message-ID or an upload id): the grant names the "
                "bucket and the prefix; only the object is a wildcard.",
            )

    def _nag_arn(self) -> str:
        """The bucket's ARN as cdk-nag spells it in a finding."""
        cfn = self.bucket.node.default_child
        if not isinstance(cfn, CfnElement):
            raise TypeError("the mail bucket has no CloudFormation resource")
        stack = Stack.of(self)
        logical_id = stack.resolve(cfn.logical_id)
        if Token.is_unresolved(logical_id):
            raise TypeError("the mail bucket's logical id is not known at synth")
        return f"<{logical_id}.Arn>"

    def _allow_sending(self, function: DeskFunction, sender: str) -> None:
        """SES SendRawEmail from the sender's identity: its address, or its domain."""
        stack = Stack.of(self)
        identities = dict.fromkeys([sender, sender.rsplit("@", 1)[-1]])
        function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendRawEmail"],
                resources=[
                    stack.format_arn(service="ses", resource="identity", resource_name=identity)
                    for identity in identities
                ],
            )
        )
