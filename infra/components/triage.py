"""AI triage (issue 5): functions/triage consumes TicketCreated and TicketUpdated (the route table,
mspdesk.routes) and suggests category, priority, team and agent from similar resolved tickets
and, when an Anthropic API key is stored, from an LLM.

Two ways to keep the vectors, chosen per deployment:

- `embedded` (the default, the cheapest): numpy in the function, the index's snapshot and the
  local text model in the triage bucket. The function's reserved concurrency is 1, so the
  snapshot has a single writer; events wait in Lambda's asynchronous queue meanwhile.
- `opensearch`: an Amazon OpenSearch Service domain (OpenSearch 2.19, Lucene HNSW k-NN; billed
  per instance-hour even when idle): in dev one t3.small.search data node, in production two
  m7g.large.search data nodes across two Availability Zones. Not OpenSearch Serverless: its
  vector collections refuse our own document ids (ticket numbers), so a reopened ticket could
  not be removed from the index. The domain is reached over its public endpoint with SigV4
  only: its access policy names the function's role and nothing else, and the role may call
  this domain only. A VPC would need a NAT gateway for the Anthropic API besides endpoints for
  every AWS service the function uses, for no gain over IAM here.

The embedder is `local` (a text model fitted on the MSP's own history) or `bedrock` (Amazon
Titan Text Embeddings v2, 1024 dimensions): `local` with the embedded index, `bedrock` with
OpenSearch, unless chosen.

The Anthropic API key's secret is created with an empty key: after the first deploy, store the
key (`aws secretsmanager put-secret-value --secret-id <TriageAnthropicSecretName>
--secret-string '{"api_key":"sk-ant-..."}'`; the stack prints the name). Until then triage
runs without the LLM. A later deploy leaves the stored value alone.

Context: `triage_vector_index` (`embedded` | `opensearch`), `triage_embedder` (`local` |
`bedrock`), `triage_anthropic_model` (default: mspdesk.triage_config's).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import CfnElement, CfnOutput, Duration, SecretValue, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchservice as opensearch
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct, IConstruct, Node

from infra.components.functions import DeskFunction, DeskFunctions
from infra.config import StageConfig
from infra.nag import acknowledge
from mspdesk.triage_config import TriageConfig

FUNCTION = "triage"
VECTOR_INDEXES = ("embedded", "opensearch")
EMBEDDERS = ("local", "bedrock")
DEFAULT_VECTOR_INDEX = "embedded"
# The embedder each index is meant for, unless one is chosen.
DEFAULT_EMBEDDER = {"embedded": "local", "opensearch": "bedrock"}
# The function's defaults (not this machine's environment): the two sides must agree.
_DEFAULTS = TriageConfig.model_fields
BEDROCK_MODEL_ID: str = _DEFAULTS["bedrock_model_id"].default
# Titan v2's largest vectors, as the function expects by default.
BEDROCK_DIMENSIONS = 1024
OPENSEARCH_INDEX: str = _DEFAULTS["opensearch_index"].default
ANTHROPIC_MODEL: str = _DEFAULTS["anthropic_model"].default
# What the function reads as "no key yet": triage without the LLM.
EMPTY_API_KEY = json.dumps({"api_key": ""})
# One LLM call has 10 s and one retry; embeddings and the writes fit in what is left.
TIMEOUT = Duration.seconds(60)
# Suggestions help while a ticket is new. Past this, an event goes to the dead-letter queue,
# which also holds the backlog a long burst leaves behind the single embedded writer.
MAX_EVENT_AGE = Duration.hours(2)

ENGINE_VERSION = opensearch.EngineVersion.OPENSEARCH_2_19
DOMAIN_NAME_MAX = 28
# What the adapter (mspdesk.triage.opensearch_index) sends: index creation, _bulk, _search,
# document deletes and existence checks.
SEARCH_ACTIONS = (
    "es:ESHttpDelete",
    "es:ESHttpGet",
    "es:ESHttpHead",
    "es:ESHttpPost",
    "es:ESHttpPut",
)
# The domain's CloudWatch logs (the kind in the group's name: its construct id).
SEARCH_LOGS = {"search-slow": "SearchSlow", "index-slow": "IndexSlow", "application": "Application"}


@dataclass(frozen=True)
class SearchCapacity:
    data_nodes: int
    instance_type: str
    volume_gb: int
    # Availability Zones: 1 is no zone awareness.
    zones: int


DEV_CAPACITY = SearchCapacity(data_nodes=1, instance_type="t3.small.search", volume_gb=10, zones=1)
PROD_CAPACITY = SearchCapacity(
    data_nodes=2, instance_type="m7g.large.search", volume_gb=20, zones=2
)


def choose(node: Node, key: str, explicit: str | None, allowed: Sequence[str], default: str) -> str:
    """The explicit value, else the context's, else the default; refused unless allowed."""
    raw = explicit if explicit is not None else node.try_get_context(key)
    value = str(raw).strip().lower() if raw not in (None, "") else default
    if value not in allowed:
        raise ValueError(f"{key} {value!r}: use one of {', '.join(allowed)}")
    return value


def domain_name(config: StageConfig) -> str:
    """`mspdesk-<stage>-triage`, cut to the 28 characters a domain name may have: the prefix
    (at most 24) always stays whole, so two stages never share a name."""
    return f"{config.prefix}-triage"[:DOMAIN_NAME_MAX]


class DeskTriage(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        functions: DeskFunctions,
        vector_index: str | None = None,
        embedder: str | None = None,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        node = self.node
        # S3 log delivery granted by bucket policy, not the legacy LogDeliveryWrite ACL (as in
        # the mail construct): set before any child exists.
        node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
        self.vector_index = choose(
            node, "triage_vector_index", vector_index, VECTOR_INDEXES, DEFAULT_VECTOR_INDEX
        )
        self.embedder = choose(
            node, "triage_embedder", embedder, EMBEDDERS, DEFAULT_EMBEDDER[self.vector_index]
        )
        anthropic_model = str(node.try_get_context("triage_anthropic_model") or ANTHROPIC_MODEL)
        self._config = config

        self.bucket = self._bucket(access_logs)
        self.anthropic_secret = secretsmanager.Secret(
            self,
            "AnthropicApiKey",
            description=(
                f"{config.prefix}: the Anthropic API key for AI triage. Placeholder: store "
                '{"api_key": "sk-ant-..."} (or the bare key) after deploy; while the key is '
                "empty, triage runs without the LLM."
            ),
            # Not a secret: the empty placeholder the operator replaces. CloudFormation only
            # writes it again if this template value changes.
            secret_string_value=SecretValue.unsafe_plain_text(EMPTY_API_KEY),
            removal_policy=config.removal_policy,
        )
        acknowledge(
            self.anthropic_secret,
            "AwsSolutions-SMG4",
            "An API key issued by Anthropic's console cannot be rotated by a Lambda: the "
            "operator replaces it by hand (a new key in the console, then put-secret-value); "
            "the function re-reads the secret every five minutes.",
        )

        self.domain: opensearch.Domain | None = None
        environment = {
            "MSPDESK_TRIAGE_EMBEDDER": self.embedder,
            "MSPDESK_TRIAGE_VECTOR_INDEX": self.vector_index,
            "MSPDESK_TRIAGE_BUCKET": self.bucket.bucket_name,
            "MSPDESK_ANTHROPIC_SECRET_ID": self.anthropic_secret.secret_arn,
            "MSPDESK_ANTHROPIC_MODEL": anthropic_model,
        }
        if self.embedder == "bedrock":
            environment["MSPDESK_BEDROCK_MODEL_ID"] = BEDROCK_MODEL_ID
            environment["MSPDESK_BEDROCK_DIMENSIONS"] = str(BEDROCK_DIMENSIONS)
        if self.vector_index == "opensearch":
            self.domain = self._domain()
            # The runtime signs for the "es" service (mspdesk.triage_runtime).
            environment["MSPDESK_OPENSEARCH_ENDPOINT"] = self.endpoint_url
            environment["MSPDESK_OPENSEARCH_INDEX"] = OPENSEARCH_INDEX

        # Before the event rules (infra/stack.py routes last), which reuse this function.
        self.function: DeskFunction = functions.add(
            FUNCTION,
            asynchronous=True,
            # numpy, and more memory is more CPU for the embeddings.
            memory_size=1024,
            timeout=TIMEOUT,
            # The LLM call retries once inside; one more attempt for anything else.
            retry_attempts=1,
            max_event_age=MAX_EVENT_AGE,
            environment=environment,
        )
        if self.vector_index == "embedded":
            # One writer of the snapshot: never two containers at once.
            cfn = self.function.function.node.default_child
            if not isinstance(cfn, lambda_.CfnFunction):
                raise TypeError("the triage function has no CfnFunction")
            cfn.reserved_concurrent_executions = 1

        role = self.function.role
        self._grant_bucket(self.function)
        self.anthropic_secret.grant_read(role)
        if self.embedder == "bedrock":
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["bedrock:InvokeModel"],
                    resources=[
                        Stack.of(self).format_arn(
                            service="bedrock",
                            account="",
                            resource="foundation-model",
                            resource_name=BEDROCK_MODEL_ID,
                        )
                    ],
                )
            )
        if self.domain is not None:
            self._allow_domain(self.domain, role)

        CfnOutput(scope, "TriageBucketName", value=self.bucket.bucket_name)
        CfnOutput(scope, "TriageAnthropicSecretName", value=self.anthropic_secret.secret_name)
        if self.domain is not None:
            CfnOutput(scope, "TriageSearchEndpoint", value=self.endpoint_url)

    @property
    def endpoint_url(self) -> str:
        """The domain's endpoint as a URL (the attribute is a bare host name)."""
        if self.domain is None:
            raise ValueError("no OpenSearch domain: the vector index is embedded")
        return f"https://{self.domain.domain_endpoint}"

    # --- the bucket ------------------------------------------------------------------------

    def _bucket(self, access_logs: s3.IBucket) -> s3.Bucket:
        config = self._config
        return s3.Bucket(
            self,
            "Bucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # A bad snapshot or model overwrites the good one: its earlier version stays a while.
            versioned=True,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="triage/",
            lifecycle_rules=[
                # The snapshot is written again as tickets are triaged and resolved.
                s3.LifecycleRule(id="old-versions", noncurrent_version_expiration=Duration.days(7)),
                s3.LifecycleRule(
                    id="abort-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)
                ),
            ],
            removal_policy=config.removal_policy,
        )

    def _grant_bucket(self, function: DeskFunction) -> None:
        """Get and put objects, and list the bucket (S3 answers 404, not 403, for a snapshot
        that does not exist yet): the whole bucket is triage's."""
        policy = iam.Policy(
            self,
            "FunctionUsesBucket",
            roles=[function.role],
            statements=[
                iam.PolicyStatement(
                    actions=["s3:GetObject", "s3:PutObject"],
                    resources=[self.bucket.arn_for_objects("*")],
                ),
                iam.PolicyStatement(actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]),
            ],
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::<{self._logical_id(self.bucket)}.Arn>/*]",
            "The bucket holds nothing but triage's own objects (the index snapshot and the "
            "local text model): the grant names this bucket and two object actions; only "
            "the object key is a wildcard.",
        )

    def _logical_id(self, construct: IConstruct) -> str:
        """The logical id of a construct's resource, as cdk-nag names its ARN in a finding."""
        cfn = construct.node.default_child
        if not isinstance(cfn, CfnElement):
            raise TypeError(f"{construct.node.path} has no CloudFormation resource")
        logical_id = Stack.of(self).resolve(cfn.logical_id)
        if Token.is_unresolved(logical_id):
            raise TypeError(f"the logical id of {construct.node.path} is not known at synth")
        return str(logical_id)

    # --- OpenSearch Service -----------------------------------------------------------------
    @property
    def domain_name(self) -> str:
        return domain_name(self._config)

    def _domain_arn(self) -> str:
        """The domain's ARN from its name. The domain's own access policy cannot refer to its
        Arn attribute (a resource cannot depend on itself), nor can the log groups' resource
        policy, which must exist before the domain."""
        return Stack.of(self).format_arn(
            service="es", resource="domain", resource_name=self.domain_name
        )

    def _domain(self) -> opensearch.Domain:
        config = self._config
        capacity = PROD_CAPACITY if config.is_prod else DEV_CAPACITY
        name = self.domain_name
        groups = {
            kind: logs.LogGroup(
                self,
                f"SearchLogs{construct_id}",
                log_group_name=f"/aws/opensearch/{name}/{kind}",
                retention=config.log_retention,
                removal_policy=config.removal_policy,
            )
            for kind, construct_id in SEARCH_LOGS.items()
        }
        # The domain's own log policy is a custom resource (a Lambda function of the CDK's):
        # the same grant as a CloudFormation resource, for this domain only.
        stack = Stack.of(self)
        log_policy = logs.ResourcePolicy(
            self,
            "SearchLogsPolicy",
            resource_policy_name=f"{name}-logs",
            policy_statements=[
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("es.amazonaws.com")],
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[group.log_group_arn for group in groups.values()],
                    conditions={
                        "StringEquals": {"aws:SourceAccount": stack.account},
                        "ArnLike": {"aws:SourceArn": self._domain_arn()},
                    },
                )
            ],
        )
        domain = opensearch.Domain(
            self,
            "Domain",
            domain_name=name,
            version=ENGINE_VERSION,
            capacity=opensearch.CapacityConfig(
                data_nodes=capacity.data_nodes,
                data_node_instance_type=capacity.instance_type,
                multi_az_with_standby_enabled=False,
            ),
            ebs=opensearch.EbsOptions(
                volume_size=capacity.volume_gb, volume_type=ec2.EbsDeviceVolumeType.GP3
            ),
            zone_awareness=opensearch.ZoneAwarenessConfig(
                enabled=capacity.zones > 1,
                availability_zone_count=capacity.zones if capacity.zones > 1 else None,
            ),
            encryption_at_rest=opensearch.EncryptionAtRestOptions(enabled=True),
            node_to_node_encryption=True,
            enforce_https=True,
            tls_security_policy=opensearch.TLSSecurityPolicy.TLS_1_2_PFS,
            # Audit logs need fine-grained access control, which IAM-only access does without.
            # Slow logs carry entries only for indexes with slowlog thresholds set
            # (index.search.slowlog.threshold.*, index.indexing.slowlog.threshold.*).
            logging=opensearch.LoggingOptions(
                slow_search_log_enabled=True,
                slow_search_log_group=groups["search-slow"],
                slow_index_log_enabled=True,
                slow_index_log_group=groups["index-slow"],
                app_log_enabled=True,
                app_log_group=groups["application"],
            ),
            suppress_logs_resource_policy=True,
            enable_version_upgrade=True,
            removal_policy=config.removal_policy,
        )
        # OpenSearch checks that it may write to the log groups when the domain is created.
        domain.node.add_dependency(log_policy)
        acknowledge(
            domain,
            "AwsSolutions-OS1",
            "Not in a VPC: the triage function would need a NAT gateway to reach the Anthropic "
            "API and VPC endpoints for DynamoDB, EventBridge, S3, Secrets Manager and Bedrock. "
            "The public endpoint answers only SigV4-signed requests of the triage function's "
            "role (the access policy names nothing else), over HTTPS with TLS 1.2.",
        )
        acknowledge(
            domain,
            "AwsSolutions-OS3",
            "No IP allowlist: the caller is a Lambda function without fixed addresses. Access "
            "is by IAM identity instead: the access policy names the triage function's role "
            "only, and every request must be SigV4-signed.",
        )
        acknowledge(
            domain,
            "AwsSolutions-OS4",
            "No dedicated master nodes: one (dev) or two (prod) data nodes hold one small "
            "vector index. Triage is advisory: while the index is unavailable tickets are "
            "triaged without it, and `mspdesk triage reindex` rebuilds it from the table; "
            "three masters would cost more than the data nodes.",
        )
        if capacity.zones < 2:
            acknowledge(
                domain,
                "AwsSolutions-OS7",
                "Outside production, one t3.small data node without zone awareness, for cost; "
                "production runs two data nodes across two Availability Zones.",
            )
        return domain

    def _allow_domain(self, domain: opensearch.Domain, role: iam.IRole) -> None:
        """The access policy lets the function's role, and no one else, send HTTP requests to
        the domain; IAM lets the role call this domain only, with the methods it uses."""
        cfn = domain.node.default_child
        if not isinstance(cfn, opensearch.CfnDomain):
            raise TypeError("the triage domain has no CfnDomain")
        # On the CfnDomain itself: the Domain's access_policies prop would set it through a
        # custom resource (another Lambda function) after the domain exists.
        cfn.access_policies = iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    principals=[iam.ArnPrincipal(role.role_arn)],
                    actions=["es:ESHttp*"],
                    resources=[f"{self._domain_arn()}/*"],
                )
            ]
        )
        policy = iam.Policy(
            self,
            "FunctionUsesDomain",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=list(SEARCH_ACTIONS),
                    resources=[domain.domain_arn, f"{domain.domain_arn}/*"],
                )
            ],
        )
        acknowledge(
            policy,
            f"AwsSolutions-IAM5[Resource::<{self._logical_id(domain)}.Arn>/*]",
            "The domain holds nothing but triage's ticket index: the grant names this domain "
            "and the five HTTP methods the adapter uses; the path under it (the index, its "
            "documents, _bulk) is the wildcard.",
        )
