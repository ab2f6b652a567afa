"""cdk-nag 3: the AwsSolutions pack runs as a policy-validation plugin at synth, and a finding
is acknowledged, with its reason, through the CDK's own Validations API."""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_checks(app: App) -> AwsSolutionsChecks:
    """Synth fails on any unacknowledged error; each acknowledgment is also written into the
    template's metadata (`cdk_nag.rules_to_suppress`) as an audit trail."""
    checks = AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True)
    Validations.of(app).add_plugins(checks)
    return checks


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one finding (`AwsSolutions-L1`, `AwsSolutions-IAM5[Resource::...]`) on the
    construct's own CloudFormation resource: an acknowledgment covers everything below where
    it is made, and the constructs beside that resource (permissions, invoke configs) should
    stay checked."""
    target = construct.node.default_child or construct
    Validations.of(target).acknowledge(Acknowledgment(id=rule, reason=reason))
