"""The one DynamoDB table, built from mspdesk.store.table: the CDK app, the tests and the local
stack read the same definition, so they cannot drift apart."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import StageConfig
from mspdesk.store import table as definition

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}
_PROJECTIONS = {
    "ALL": dynamodb.ProjectionType.ALL,
    "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY,
}
# What the store does (mspdesk.store.dynamo); transactions are authorised per item action.
# No Scan: no request path may scan the table (DESIGN section 4), so no function can.
DATA_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
)
# What DynamoDB asks of a caller's principal for a table under a customer-managed key.
KEY_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")


class DeskTable(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        request = definition.create_table_request("mspdesk")
        if request["BillingMode"] != "PAY_PER_REQUEST":
            raise ValueError("the table definition asks for provisioned capacity")
        types = {a["AttributeName"]: a["AttributeType"] for a in request["AttributeDefinitions"]}

        self.key = kms.Key(
            self,
            "Key",
            description=f"{config.prefix}: encryption of the tickets table",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
            pending_window=Duration.days(30 if config.is_prod else 7),
        )
        partition, sort = _keys(request["KeySchema"], types)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=partition,
            sort_key=sort,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=definition.TTL_ATTRIBUTE,
            deletion_protection=config.is_prod,
            removal_policy=config.removal_policy,
        )
        self.index_names: list[str] = []
        for index in request["GlobalSecondaryIndexes"]:
            index_partition, index_sort = _keys(index["KeySchema"], types)
            self.table.add_global_secondary_index(
                index_name=index["IndexName"],
                partition_key=index_partition,
                sort_key=index_sort,
                projection_type=_PROJECTIONS[index["Projection"]["ProjectionType"]],
            )
            self.index_names.append(index["IndexName"])

    def grant_read_write(self, grantee: iam.IGrantable) -> None:
        """Items of the table and its indexes by name (no `index/*` wildcard) and the key only
        through DynamoDB."""
        arn = self.table.table_arn
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=list(DATA_ACTIONS),
            resource_arns=[arn, *(f"{arn}/index/{name}" for name in self.index_names)],
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=list(KEY_ACTIONS),
                resources=[self.key.key_arn],
                conditions={
                    "StringEquals": {
                        "kms:ViaService": f"dynamodb.{Stack.of(self).region}.amazonaws.com"
                    }
                },
            )
        )


def _keys(
    schema: list[dict[str, Any]], types: dict[str, str]
) -> tuple[dynamodb.Attribute, dynamodb.Attribute | None]:
    by_type = {k["KeyType"]: k["AttributeName"] for k in schema}
    partition = dynamodb.Attribute(name=by_type["HASH"], type=_TYPES[types[by_type["HASH"]]])
    sort_name = by_type.get("RANGE")
    sort = dynamodb.Attribute(name=sort_name, type=_TYPES[types[sort_name]]) if sort_name else None
    return partition, sort
