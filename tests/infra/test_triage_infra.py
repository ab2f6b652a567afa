"""The triage construct (infra/components/triage.py) on a stack of its own with the table, the bus
and the functions, as infra/stack.py wires it, synthesized with cdk-nag three times: `embedded`
(the default) and `opensearch` in dev, and `opensearch` in prod (the domain's capacity and
removal policy differ by stage)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Environment, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from constructs import Construct

from infra.components.events import DeskEvents
from infra.components.functions import DeskFunctions
from infra.components.table import DeskTable
from infra.components.triage import (
    ANTHROPIC_MODEL,
    BEDROCK_MODEL_ID,
    EMPTY_API_KEY,
    OPENSEARCH_INDEX,
    DeskTriage,
    choose,
    domain_name,
)
from infra.config import StageConfig
from infra.layout import REPO, Layout
from infra.nag import acknowledge, add_checks
from infra.sources import LambdaSources
from tests.infra.support import arn_of, ref

pytestmark = pytest.mark.infra

HANDLER = "functions.triage.handler.handler"
TRIAGE_ROUTES = {"TicketCreated": ("triage",), "TicketUpdated": ("triage",)}
DOMAIN = "AWS::OpenSearchService::Domain"
SEARCH_ACTIONS = [
    "es:ESHttpDelete",
    "es:ESHttpGet",
    "es:ESHttpHead",
    "es:ESHttpPost",
    "es:ESHttpPut",
]
SEARCH_LOGS = ("SEARCH_SLOW_LOGS", "INDEX_SLOW_LOGS", "ES_APPLICATION_LOGS")


class Synth:
    def __init__(self, template: Template, report: dict[str, Any], *, config: StageConfig) -> None:
        self.template = template
        self.report = report
        self.config = config
        self.json: dict[str, Any] = dict(template.to_json())

    def resources(
        self, cfn_type: str, props: dict[str, Any] | None = None
    ) -> dict[str, dict[str, Any]]:
        found = self.template.find_resources(cfn_type, props)
        return {logical_id: dict(resource) for logical_id, resource in found.items()}

    def function(self) -> tuple[str, dict[str, Any]]:
        for logical_id, resource in self.resources("AWS::Lambda::Function").items():
            if resource["Properties"]["Handler"] == HANDLER:
                return logical_id, resource
        raise AssertionError("no triage function")

    def role_statements(self) -> list[dict[str, Any]]:
        """Every statement of the policies attached to the triage function's role."""
        _, function = self.function()
        role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
        return [
            statement
            for policy in self.resources("AWS::IAM::Policy").values()
            if ref(role_id) in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]

    def triage_bucket(self) -> tuple[str, dict[str, Any]]:
        versioned = self.resources(
            "AWS::S3::Bucket", {"Properties": {"VersioningConfiguration": {"Status": "Enabled"}}}
        )
        assert len(versioned) == 1
        return next(iter(versioned.items()))

    def domain(self) -> tuple[str, dict[str, Any]]:
        ((logical_id, domain),) = self.resources(DOMAIN).items()
        return logical_id, domain

    def role_id(self) -> str:
        _, function = self.function()
        role_id: str = function["Properties"]["Role"]["Fn::GetAtt"][0]
        return role_id

    def findings(self) -> list[tuple[str, list[str]]]:
        return [
            (violation["ruleName"], [c["constructPath"] for c in violation["violatingConstructs"]])
            for report in self.report["pluginReports"]
            for violation in report["violations"]
        ]

    def acknowledged(self) -> set[tuple[str, str]]:
        """(resource type, rule) of every acknowledgment in the triage construct."""
        return {
            (resource["Type"], rule["id"])
            for logical_id, resource in self.json["Resources"].items()
            if logical_id.startswith("Triage")
            for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        }


def _layout(root: Path) -> Layout:
    """The repository's shared library with functions/triage/handler.py whether or not it is
    written yet: the template does not depend on the handler's content."""
    (root / "shared").symlink_to(REPO / "shared", target_is_directory=True)
    folder = root / "functions" / "triage"
    folder.mkdir(parents=True)
    (root / "functions" / "__init__.py").write_text("")
    (folder / "__init__.py").write_text("")
    (folder / "handler.py").write_text("def handler(event, context):\n    return None\n")
    return Layout(root)


def _synth(tmp: pytest.TempPathFactory, context: dict[str, str]) -> Synth:
    outdir = tmp.mktemp("cdk.out")
    app = App(outdir=str(outdir), context=context)
    add_checks(app)
    config = StageConfig.from_context(app.node)
    stack = Stack(app, "TriageTest", env=Environment(region=config.region))
    table = DeskTable(stack, "Data", config=config)
    events = DeskEvents(stack, "Events", config=config)
    functions = DeskFunctions(
        stack,
        "Functions",
        config=config,
        sources=LambdaSources.from_source(_layout(tmp.mktemp("layout"))),
        table=table,
        bus=events.bus,
    )
    # As the mail construct's access-log bucket, which infra/stack.py passes in.
    logs = Construct(stack, "Logs")
    logs.node.set_context("@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy", True)
    access_logs = s3.Bucket(
        logs,
        "AccessLogs",
        encryption=s3.BucketEncryption.S3_MANAGED,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
    )
    acknowledge(access_logs, "AwsSolutions-S1", "the test stack's access-log bucket")
    DeskTriage(stack, "Triage", config=config, functions=functions, access_logs=access_logs)
    events.route(functions, TRIAGE_ROUTES)
    app.synth()  # raises with cdk-nag's report on any unacknowledged finding
    report = json.loads((outdir / "validation-report.json").read_text())
    return Synth(Template.from_stack(stack), report, config=config)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory, {"stage": "dev"})


@pytest.fixture(scope="module")
def opensearch(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory, {"stage": "dev", "triage_vector_index": "opensearch"})


@pytest.fixture(scope="module")
def opensearch_prod(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory, {"stage": "prod", "triage_vector_index": "opensearch"})


@pytest.fixture(params=["embedded", "opensearch"])
def either(request: pytest.FixtureRequest) -> Synth:
    synth: Synth = request.getfixturevalue(request.param)
    return synth


@pytest.fixture(params=["opensearch", "opensearch_prod"])
def any_domain(request: pytest.FixtureRequest) -> Synth:
    synth: Synth = request.getfixturevalue(request.param)
    return synth


@pytest.fixture(params=["embedded", "opensearch", "opensearch_prod"])
def every(request: pytest.FixtureRequest) -> Synth:
    synth: Synth = request.getfixturevalue(request.param)
    return synth


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _granting(synth: Synth, action: str) -> list[dict[str, Any]]:
    return [s for s in synth.role_statements() if action in _actions(s)]


# --- both variants -------------------------------------------------------------------------


def test_cdk_nag_reports_no_finding_left(every: Synth) -> None:
    assert every.findings() == []


def test_acknowledgments_are_the_secret_rotation_and_the_bucket_objects(either: Synth) -> None:
    bucket_id, _ = either.triage_bucket()
    expected = {
        ("AWS::SecretsManager::Secret", "AwsSolutions-SMG4"),
        ("AWS::IAM::Policy", f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]"),
    }
    if either.resources(DOMAIN):
        domain_id, _ = either.domain()
        expected |= {
            (DOMAIN, "AwsSolutions-OS1"),  # no VPC
            (DOMAIN, "AwsSolutions-OS3"),  # no IP allowlist
            (DOMAIN, "AwsSolutions-OS4"),  # no dedicated masters
            (DOMAIN, "AwsSolutions-OS7"),  # no zone awareness: dev only
            ("AWS::IAM::Policy", f"AwsSolutions-IAM5[Resource::<{domain_id}.Arn>/*]"),
        }
    assert either.acknowledged() == expected


def test_no_serverless_collection_and_no_custom_resource(every: Synth) -> None:
    """OpenSearch Serverless refuses our document ids; the domain's access policy and log
    policy are CloudFormation resources, not the CDK's custom resources (Lambda functions)."""
    types = {resource["Type"] for resource in every.json["Resources"].values()}
    assert not {t for t in types if t.startswith(("AWS::OpenSearchServerless::", "Custom::"))}
    handlers = [
        f["Properties"]["Handler"] for f in every.resources("AWS::Lambda::Function").values()
    ]
    assert handlers == [HANDLER]


def test_the_function_is_asynchronous_with_numpy_memory_and_room_for_an_llm_retry(
    either: Synth,
) -> None:
    function_id, function = either.function()
    props = function["Properties"]
    assert props["MemorySize"] == 1024
    assert props["Timeout"] == 60
    assert "TargetArn" in props["DeadLetterConfig"]
    either.template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "FunctionName": ref(function_id),
            "MaximumRetryAttempts": 1,
            "MaximumEventAgeInSeconds": 2 * 3600,
        },
    )


def test_ticket_created_and_updated_reach_the_function(either: Synth) -> None:
    function_id, _ = either.function()
    (rule,) = either.template.find_resources(
        "AWS::Events::Rule",
        {"Properties": {"Targets": [Match.object_like({"Arn": arn_of(function_id)})]}},
    ).values()
    assert sorted(rule["Properties"]["EventPattern"]["detail-type"]) == [
        "TicketCreated",
        "TicketUpdated",
    ]


def test_the_bucket_is_encrypted_private_versioned_logged_and_tls_only(either: Synth) -> None:
    bucket_id, bucket = either.triage_bucket()
    props = bucket["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["LoggingConfiguration"]["LogFilePrefix"] == "triage/"
    assert bucket["DeletionPolicy"] == "Delete"  # dev; prod retains (StageConfig)
    either.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": ref(bucket_id),
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )
    assert all(
        "AccessControl" not in b["Properties"] for b in either.resources("AWS::S3::Bucket").values()
    )


def test_access_logs_go_to_the_bucket_given(either: Synth) -> None:
    _, bucket = either.triage_bucket()
    target = bucket["Properties"]["LoggingConfiguration"]["DestinationBucketName"]["Ref"]
    assert target.startswith("LogsAccessLogs")
    assert len(either.resources("AWS::S3::Bucket")) == 2


def test_the_function_reads_and_writes_objects_of_its_bucket_only(either: Synth) -> None:
    bucket_id, _ = either.triage_bucket()
    _, function = either.function()
    assert function["Properties"]["Environment"]["Variables"]["MSPDESK_TRIAGE_BUCKET"] == ref(
        bucket_id
    )
    (objects,) = _granting(either, "s3:PutObject")
    assert sorted(_actions(objects)) == ["s3:GetObject", "s3:PutObject"]
    assert objects["Resource"] == {"Fn::Join": ["", [arn_of(bucket_id), "/*"]]}
    (listing,) = _granting(either, "s3:ListBucket")
    assert listing["Resource"] == arn_of(bucket_id)
    assert not any(
        a.startswith("s3:") and a.endswith("*")
        for s in either.role_statements()
        for a in _actions(s)
    )


def test_the_anthropic_secret_starts_empty_and_the_function_may_read_it(either: Synth) -> None:
    ((secret_id, secret),) = either.resources("AWS::SecretsManager::Secret").items()
    props = secret["Properties"]
    assert props["SecretString"] == EMPTY_API_KEY
    assert json.loads(EMPTY_API_KEY) == {"api_key": ""}
    assert "GenerateSecretString" not in props
    assert "Anthropic API key" in props["Description"]
    _, function = either.function()
    env = function["Properties"]["Environment"]["Variables"]
    assert env["MSPDESK_ANTHROPIC_SECRET_ID"] == ref(secret_id)
    assert env["MSPDESK_ANTHROPIC_MODEL"] == ANTHROPIC_MODEL
    (read,) = _granting(either, "secretsmanager:GetSecretValue")
    assert read["Resource"] == ref(secret_id)


def test_outputs_name_the_bucket_and_the_secret(either: Synth) -> None:
    outputs = either.json["Outputs"]
    bucket_id, _ = either.triage_bucket()
    assert outputs["TriageBucketName"]["Value"] == ref(bucket_id)
    assert "TriageAnthropicSecretName" in outputs


# --- embedded (the default) ----------------------------------------------------------------


def test_embedded_index_has_one_writer_and_the_local_embedder(embedded: Synth) -> None:
    _, function = embedded.function()
    props = function["Properties"]
    assert props["ReservedConcurrentExecutions"] == 1
    env = props["Environment"]["Variables"]
    assert env["MSPDESK_TRIAGE_VECTOR_INDEX"] == "embedded"
    assert env["MSPDESK_TRIAGE_EMBEDDER"] == "local"
    assert not {k for k in env if k.startswith(("MSPDESK_OPENSEARCH_", "MSPDESK_BEDROCK_"))}


def test_embedded_index_makes_no_bedrock_grant_and_no_domain(embedded: Synth) -> None:
    assert _granting(embedded, "bedrock:InvokeModel") == []
    assert not [a for s in embedded.role_statements() for a in _actions(s) if a.startswith("es:")]
    assert embedded.resources(DOMAIN) == {}
    assert embedded.resources("AWS::Logs::ResourcePolicy") == {}
    assert "TriageSearchEndpoint" not in embedded.json["Outputs"]


# --- opensearch ----------------------------------------------------------------------------


def _by_name(name: str, suffix: str = "") -> dict[str, Any]:
    """The domain's ARN as the construct spells it from the domain's name."""
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":es:eu-west-2:",
                {"Ref": "AWS::AccountId"},
                f":domain/{name}{suffix}",
            ],
        ]
    }


def test_opensearch_uses_the_domain_endpoint_and_bedrock(opensearch: Synth) -> None:
    domain_id, _ = opensearch.domain()
    _, function = opensearch.function()
    props = function["Properties"]
    assert "ReservedConcurrentExecutions" not in props
    env = props["Environment"]["Variables"]
    assert env["MSPDESK_TRIAGE_VECTOR_INDEX"] == "opensearch"
    assert env["MSPDESK_TRIAGE_EMBEDDER"] == "bedrock"
    endpoint = {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [domain_id, "DomainEndpoint"]}]]}
    assert env["MSPDESK_OPENSEARCH_ENDPOINT"] == endpoint
    # The runtime always signs for "es" (mspdesk.triage_runtime): nothing to choose.
    assert "MSPDESK_OPENSEARCH_SERVICE" not in env
    assert env["MSPDESK_OPENSEARCH_INDEX"] == OPENSEARCH_INDEX
    assert env["MSPDESK_BEDROCK_MODEL_ID"] == BEDROCK_MODEL_ID == "amazon.titan-embed-text-v2:0"
    assert env["MSPDESK_BEDROCK_DIMENSIONS"] == "1024"
    outputs = opensearch.json["Outputs"]
    assert outputs["TriageSearchEndpoint"]["Value"] == endpoint
    assert "TriageCollectionEndpoint" not in outputs


def test_bedrock_grant_names_the_titan_v2_foundation_model(opensearch: Synth) -> None:
    (invoke,) = _granting(opensearch, "bedrock:InvokeModel")
    assert _actions(invoke) == ["bedrock:InvokeModel"]
    assert invoke["Resource"] == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":bedrock:eu-west-2::foundation-model/amazon.titan-embed-text-v2:0",
            ],
        ]
    }


def test_the_domain_is_opensearch_2_19_encrypted_and_https_only(any_domain: Synth) -> None:
    _, domain = any_domain.domain()
    props = domain["Properties"]
    assert props["DomainName"] == domain_name(any_domain.config)
    assert props["EngineVersion"] == "OpenSearch_2.19"
    assert props["EncryptionAtRestOptions"] == {"Enabled": True}
    assert props["NodeToNodeEncryptionOptions"] == {"Enabled": True}
    assert props["DomainEndpointOptions"] == {
        "EnforceHTTPS": True,
        "TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10",
    }
    # IAM only: no fine-grained access control (no master user, no internal users), no
    # Cognito, no VPC.
    assert not {"AdvancedSecurityOptions", "CognitoOptions", "VPCOptions"} & set(props)
    assert domain["UpdatePolicy"] == {"EnableVersionUpgrade": True}


def test_dev_has_one_small_node_in_one_zone_and_is_destroyed(opensearch: Synth) -> None:
    _, domain = opensearch.domain()
    props = domain["Properties"]
    assert props["ClusterConfig"] == {
        "DedicatedMasterEnabled": False,
        "InstanceCount": 1,
        "InstanceType": "t3.small.search",
        "MultiAZWithStandbyEnabled": False,
        "ZoneAwarenessEnabled": False,
    }
    assert props["EBSOptions"] == {"EBSEnabled": True, "VolumeSize": 10, "VolumeType": "gp3"}
    assert domain["DeletionPolicy"] == domain["UpdateReplacePolicy"] == "Delete"


def test_prod_has_two_nodes_across_two_zones_and_is_retained(opensearch_prod: Synth) -> None:
    _, domain = opensearch_prod.domain()
    props = domain["Properties"]
    assert props["ClusterConfig"] == {
        "DedicatedMasterEnabled": False,
        "InstanceCount": 2,
        "InstanceType": "m7g.large.search",
        "MultiAZWithStandbyEnabled": False,
        "ZoneAwarenessEnabled": True,
        "ZoneAwarenessConfig": {"AvailabilityZoneCount": 2},
    }
    assert props["EBSOptions"] == {"EBSEnabled": True, "VolumeSize": 20, "VolumeType": "gp3"}
    assert domain["DeletionPolicy"] == domain["UpdateReplacePolicy"] == "Retain"
    groups = opensearch_prod.resources("AWS::Logs::LogGroup")
    searched = {i: g for i, g in groups.items() if i.startswith("TriageSearchLogs")}
    assert len(searched) == 3
    assert all(g["DeletionPolicy"] == "Retain" for g in searched.values())
    assert all(g["Properties"]["RetentionInDays"] == 365 for g in searched.values())


def test_prod_acknowledges_no_zone_finding(opensearch_prod: Synth) -> None:
    domain_id, _ = opensearch_prod.domain()
    bucket_id, _ = opensearch_prod.triage_bucket()
    assert opensearch_prod.acknowledged() == {
        ("AWS::SecretsManager::Secret", "AwsSolutions-SMG4"),
        ("AWS::IAM::Policy", f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]"),
        (DOMAIN, "AwsSolutions-OS1"),
        (DOMAIN, "AwsSolutions-OS3"),
        (DOMAIN, "AwsSolutions-OS4"),
        ("AWS::IAM::Policy", f"AwsSolutions-IAM5[Resource::<{domain_id}.Arn>/*]"),
    }


def test_the_access_policy_names_the_function_role_only(any_domain: Synth) -> None:
    _, domain = any_domain.domain()
    policy = domain["Properties"]["AccessPolicies"]
    (statement,) = policy["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Principal": {"AWS": {"Fn::GetAtt": [any_domain.role_id(), "Arn"]}},
        "Action": "es:ESHttp*",
        "Resource": _by_name(domain_name(any_domain.config), "/*"),
    }
    # No anonymous principal, no condition to widen it.
    assert "*" not in json.dumps(statement["Principal"])


def test_the_role_may_call_this_domain_only(any_domain: Synth) -> None:
    domain_id, _ = any_domain.domain()
    granted = [
        s for s in any_domain.role_statements() if any(a.startswith("es:") for a in _actions(s))
    ]
    (search,) = granted
    assert sorted(_actions(search)) == SEARCH_ACTIONS
    assert search["Resource"] == [
        arn_of(domain_id),
        {"Fn::Join": ["", [arn_of(domain_id), "/*"]]},
    ]


def _joined(value: dict[str, Any]) -> str:
    """An Fn::Join of text, Refs and GetAtts as one string: `<AWS::AccountId>`, `<Id.Arn>`."""
    parts = value["Fn::Join"][1]
    return "".join(
        part
        if isinstance(part, str)
        else f"<{part['Ref']}>"
        if "Ref" in part
        else "<{}.{}>".format(*part["Fn::GetAtt"])
        for part in parts
    )


def test_slow_and_application_logs_go_to_cloudwatch(any_domain: Synth) -> None:
    _, domain = any_domain.domain()
    name = domain_name(any_domain.config)
    published = domain["Properties"]["LogPublishingOptions"]
    assert set(published) == set(SEARCH_LOGS)  # AUDIT_LOGS needs fine-grained access control
    groups = any_domain.resources("AWS::Logs::LogGroup")
    group_ids = []
    for kind in SEARCH_LOGS:
        option = published[kind]
        assert option["Enabled"] is True
        group_id = option["CloudWatchLogsLogGroupArn"]["Fn::GetAtt"][0]
        group_name = groups[group_id]["Properties"]["LogGroupName"]
        assert group_name.startswith(f"/aws/opensearch/{name}/")
        group_ids.append(group_id)
    # The log groups' resource policy, a CloudFormation resource, exists before the domain.
    ((policy_id, policy),) = any_domain.resources("AWS::Logs::ResourcePolicy").items()
    assert policy_id in domain["DependsOn"]
    assert policy["Properties"]["PolicyName"] == f"{name}-logs"
    (statement,) = json.loads(_joined(policy["Properties"]["PolicyDocument"]))["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Principal": {"Service": "es.amazonaws.com"},
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [f"<{group_id}.Arn>" for group_id in group_ids],
        "Condition": {
            "StringEquals": {"aws:SourceAccount": "<AWS::AccountId>"},
            "ArnLike": {
                "aws:SourceArn": f"arn:<AWS::Partition>:es:eu-west-2:<AWS::AccountId>:domain/{name}"
            },
        },
    }


def test_domain_names_fit_28_characters_and_keep_the_stage() -> None:
    assert domain_name(StageConfig(stage="dev")) == "mspdesk-dev-triage"
    assert domain_name(StageConfig(stage="prod")) == "mspdesk-prod-triage"
    longest = domain_name(StageConfig(stage="a" * 16))
    assert len(longest) == 28
    assert longest.startswith(f"mspdesk-{'a' * 16}-")


# --- choices -------------------------------------------------------------------------------


def test_choices_come_from_the_argument_then_the_context_then_the_default() -> None:
    app = App(context={"triage_vector_index": " OpenSearch "})
    node = app.node
    indexes = ("embedded", "opensearch")
    assert choose(node, "triage_vector_index", None, indexes, "embedded") == "opensearch"
    assert choose(node, "triage_vector_index", "embedded", indexes, "embedded") == "embedded"
    assert choose(node, "triage_embedder", None, ("local", "bedrock"), "local") == "local"
    with pytest.raises(ValueError, match="triage_embedder 'openai'"):
        choose(node, "triage_embedder", "openai", ("local", "bedrock"), "local")
