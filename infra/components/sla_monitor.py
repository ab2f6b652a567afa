"""The SLA sweep: an EventBridge schedule runs functions/sla_monitor every few minutes."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from constructs import Construct

from infra.components.functions import DeskFunction, DeskFunctions

EVERY = Duration.minutes(5)


class SlaMonitor(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, functions: DeskFunctions) -> None:
        super().__init__(scope, construct_id)
        # A sweep is stale once the next one is due: retry within the period, then drop it
        # into the dead-letter queue for a look, as the next sweep repairs what it missed.
        self.function: DeskFunction = functions.add(
            "sla_monitor",
            asynchronous=True,
            timeout=Duration.minutes(2),
            retry_attempts=1,
            max_event_age=EVERY,
        )
        self.schedule = events.Rule(
            self,
            "Schedule",
            description="mspdesk SLA sweep over open tickets whose SLA instant has passed",
            schedule=events.Schedule.rate(EVERY),
            targets=[
                targets.LambdaFunction(
                    self.function.function,
                    dead_letter_queue=self.function.dead_letter_queue,
                    retry_attempts=2,
                    max_event_age=EVERY,
                )
            ],
        )
