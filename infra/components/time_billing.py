"""The nightly billing run (issue 6): an EventBridge Scheduler schedule in the MSP's time zone
invokes functions/time_billing, which sends one job per client to an SQS queue; the same
function consumes the queue in batches, so 5,000 clients are 500 small invocations, each well
inside Lambda's limits. A job that keeps failing lands in the queue's dead-letter queue."""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.functions import DLQ_RETENTION, DeskFunction, DeskFunctions

FUNCTION = "time_billing"
# 01:30 local: after midnight, whatever daylight saving does to the clock.
NIGHTLY_HOUR = "1"
NIGHTLY_MINUTE = "30"
DEFAULT_TIME_ZONE = "Europe/London"
# One job (a client, two periods) takes seconds; a batch of ten, well under this.
TIMEOUT_MINUTES = 5
TIMEOUT = Duration.minutes(TIMEOUT_MINUTES)
BATCH_SIZE = 10
# Receives before a job is dead-lettered (each one after the visibility timeout).
MAX_RECEIVES = 3
# Workers at once: the table is on demand, but a burst of 5,000 clients needs no more.
MAX_CONCURRENCY = 10


class TimeBilling(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: DeskFunctions,
        time_zone: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        zone = time_zone or self.node.try_get_context("time_zone") or DEFAULT_TIME_ZONE

        self.dead_letter_queue = sqs.Queue(
            self,
            "JobsDeadLetters",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=DLQ_RETENTION,
        )
        self.queue = sqs.Queue(
            self,
            "Jobs",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            # AWS's advice for a Lambda event source: six times the function's timeout.
            visibility_timeout=Duration.minutes(TIMEOUT_MINUTES * 6),
            retention_period=Duration.days(4),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=MAX_RECEIVES
            ),
        )
        cloudwatch.Alarm(
            self,
            "JobsDeadLettersAlarm",
            alarm_description="nightly billing jobs failed and were dead-lettered",
            metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

        # Asynchronous: the schedule's invocation gets the function's own DLQ and retries.
        self.function: DeskFunction = functions.add(
            FUNCTION,
            asynchronous=True,
            timeout=TIMEOUT,
            retry_attempts=2,
            max_event_age=Duration.hours(6),
            environment={"MSPDESK_BILLING_QUEUE_URL": self.queue.queue_url},
        )
        # Least privilege: send to the queue (the fan-out); the event source mapping's
        # receive and delete come with the event source below.
        self.queue.grant_send_messages(self.function.role)
        self.function.function.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=BATCH_SIZE,
                report_batch_item_failures=True,
                max_concurrency=MAX_CONCURRENCY,
            )
        )

        # The schedule's own role may invoke this function (not its versions) and write to its
        # dead-letter queue, nothing else: the L1 schedule, as the L2 target grants `:*` too.
        assert self.function.dead_letter_queue is not None
        self.scheduler_role = iam.Role(
            self,
            "SchedulerRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            ),
            description="mspdesk nightly billing schedule: invokes the time_billing function",
        )
        self.scheduler_role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[self.function.function.function_arn],
            )
        )
        self.function.dead_letter_queue.grant_send_messages(self.scheduler_role)
        self.schedule = scheduler.CfnSchedule(
            self,
            "Nightly",
            description="mspdesk nightly billing run: invoice drafts per client and period",
            schedule_expression=f"cron({NIGHTLY_MINUTE} {NIGHTLY_HOUR} * * ? *)",
            schedule_expression_timezone=zone,
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=self.function.function.function_arn,
                role_arn=self.scheduler_role.role_arn,
                input=json.dumps({"source": "mspdesk.schedule", "run": "nightly-billing"}),
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=2, maximum_event_age_in_seconds=6 * 3600
                ),
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.function.dead_letter_queue.queue_arn
                ),
            ),
        )
