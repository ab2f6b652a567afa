"""The CDK app of mspdesk: one stack per stage and region, one construct per concern.

`python -m infra.package` prepares the Lambda assets in build/; `python -m infra.app` synthesizes
into cdk.out/. See infra/README.md.
"""
