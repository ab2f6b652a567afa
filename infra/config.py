"""The settings of one deployment (stage and region), read from CDK context."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Node

DEFAULT_STAGE = "dev"
DEFAULT_REGION = "eu-west-2"
PROD_STAGES = frozenset({"prod"})
# The stage is part of resource names (event bus, user pool, log groups): keep it short.
_STAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


@dataclass(frozen=True)
class StageConfig:
    stage: str = DEFAULT_STAGE
    region: str = DEFAULT_REGION
    # None keeps the stack account-agnostic: it deploys to the account of the credentials.
    account: str | None = None
    # Stage-wide API throttling: steady requests per second and burst.
    api_rate_limit: int = 50
    api_burst_limit: int = 100

    def __post_init__(self) -> None:
        if not _STAGE_NAME.match(self.stage):
            raise ValueError(
                f"stage {self.stage!r}: use 1-16 lowercase letters, digits or dashes, "
                "starting with a letter"
            )

    @classmethod
    def from_context(cls, node: Node) -> StageConfig:
        """`-c stage=prod -c region=eu-west-1 [-c account=123456789012]`, else the defaults.

        Not the CLI's default region or account: `make synth` and `cdk synth` must build the
        same stack from the same command line, whatever profile happens to be active.
        """
        return cls(
            stage=str(node.try_get_context("stage") or DEFAULT_STAGE),
            region=str(node.try_get_context("region") or DEFAULT_REGION),
            account=node.try_get_context("account"),
        )

    @property
    def is_prod(self) -> bool:
        return self.stage in PROD_STAGES

    @property
    def prefix(self) -> str:
        """The prefix of physical names, so stages can share an account and region."""
        return f"mspdesk-{self.stage}"

    @property
    def stack_id(self) -> str:
        return f"mspdesk-{self.stage}-{self.region}"

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Data survives a `cdk destroy` in production; other stages clean up after themselves."""
        return RemovalPolicy.RETAIN if self.is_prod else RemovalPolicy.DESTROY

    @property
    def log_retention(self) -> logs.RetentionDays:
        return logs.RetentionDays.ONE_YEAR if self.is_prod else logs.RetentionDays.TWO_WEEKS
