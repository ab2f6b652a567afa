"""SLA timers and the sweep: functions/sla_monitor, a Step Functions standard state machine
per ticket clock that waits for its instants, and an EventBridge schedule every 5 minutes.

The state machine (one execution per ticket, clock and SLA version):

    UntilWarning (Wait, TimestampPath $.warn_at) -> CheckWarning (the function, stage warning)
      -> AfterWarning: continue -> UntilBreach; early (clock skew) -> 5 s -> UntilWarning;
         else (stale, paused, met) -> Exit
    UntilBreach (Wait, TimestampPath $.breach_at) -> CheckBreach (stage breach)
      -> AfterBreach: early -> 5 s -> UntilBreach; else -> Done

The function starts executions and the state machine invokes the function, so each needs the
other's ARN: the state machine has a fixed name and the function is given its ARN as a string,
which keeps CloudFormation free of a reference cycle.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from infra.components.functions import DeskFunction, DeskFunctions
from infra.config import StageConfig
from infra.nag import acknowledge

EVERY = Duration.minutes(5)
# Past the longest target: a year of business minutes is the most a plan may set.
LONGEST_TIMER = Duration.days(365)


class SlaMonitor(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: DeskFunctions,
        config: StageConfig | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.state_machine_name = f"{stack.stack_name}-sla-timers"
        self.state_machine_arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.state_machine_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        environment = {"MSPDESK_SLA_STATE_MACHINE_ARN": self.state_machine_arn}
        sender = self.node.try_get_context("sla_sender")
        if sender:
            environment["MSPDESK_SLA_SENDER"] = str(sender)
        desk_url = self.node.try_get_context("desk_url")
        if desk_url:
            environment["MSPDESK_DESK_URL"] = str(desk_url)
        # A sweep is stale once the next one is due: retry within the period, then drop it
        # into the dead-letter queue for a look, as the next sweep repairs what it missed.
        self.function: DeskFunction = functions.add(
            "sla_monitor",
            asynchronous=True,
            timeout=Duration.minutes(2),
            retry_attempts=1,
            max_event_age=EVERY,
            environment=environment,
        )
        self.function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["states:StartExecution"], resources=[self.state_machine_arn]
            )
        )
        if sender:
            self._allow_sending(str(sender))
        self.state_machine = self._state_machine(config)
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

    def _allow_sending(self, sender: str) -> None:
        """SES SendEmail from the sender's identity: its address, or its domain."""
        stack = Stack.of(self)
        identities = [sender, sender.rsplit("@", 1)[-1]]
        self.function.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=[
                    stack.format_arn(service="ses", resource="identity", resource_name=identity)
                    for identity in identities
                ],
            )
        )

    def _state_machine(self, config: StageConfig | None) -> sfn.StateMachine:
        function = self.function.function

        def check(name: str, stage: str) -> tasks.LambdaInvoke:
            task = tasks.LambdaInvoke(
                self,
                name,
                lambda_function=function,
                payload=sfn.TaskInput.from_object(
                    {
                        "sla_check": {
                            "number": sfn.JsonPath.number_at("$.number"),
                            "clock": sfn.JsonPath.string_at("$.clock"),
                            "version": sfn.JsonPath.number_at("$.version"),
                            "stage": stage,
                        }
                    }
                ),
                result_selector={"outcome": sfn.JsonPath.string_at("$.Payload.outcome")},
                result_path="$.check",
                retry_on_service_exceptions=True,
                task_timeout=sfn.Timeout.duration(Duration.minutes(3)),
            )
            # A failing check is retried a few times; past that the execution fails and the
            # sweep announces what it missed and starts a new timer.
            task.add_retry(
                errors=["States.TaskFailed", "States.Timeout"],
                interval=Duration.seconds(10),
                max_attempts=3,
                backoff_rate=3,
            )
            return task

        until_warning = sfn.Wait(
            self, "UntilWarning", time=sfn.WaitTime.timestamp_path("$.warn_at")
        )
        until_breach = sfn.Wait(
            self, "UntilBreach", time=sfn.WaitTime.timestamp_path("$.breach_at")
        )
        # Woken before the instant by clock skew: a short pause, then the same wait again.
        skew = sfn.WaitTime.duration(Duration.seconds(5))
        outcome = "$.check.outcome"
        after_warning = (
            sfn.Choice(self, "AfterWarning")
            .when(sfn.Condition.string_equals(outcome, "continue"), until_breach)
            .when(
                sfn.Condition.string_equals(outcome, "early"),
                sfn.Wait(self, "EarlyForWarning", time=skew).next(until_warning),
            )
            .otherwise(sfn.Succeed(self, "Exit", comment="stale, paused or met"))
        )
        after_breach = (
            sfn.Choice(self, "AfterBreach")
            .when(
                sfn.Condition.string_equals(outcome, "early"),
                sfn.Wait(self, "EarlyForBreach", time=skew).next(until_breach),
            )
            .otherwise(sfn.Succeed(self, "Done"))
        )
        until_warning.next(check("CheckWarning", "warning")).next(after_warning)
        until_breach.next(check("CheckBreach", "breach")).next(after_breach)

        log_group = logs.LogGroup(
            self,
            "TimerLogs",
            # The prefix AWS recommends for vended logs: no resource policy per log group.
            log_group_name=f"/aws/vendedlogs/states/{self.state_machine_name}",
            retention=config.log_retention if config else logs.RetentionDays.ONE_YEAR,
            removal_policy=config.removal_policy if config else RemovalPolicy.RETAIN,
        )
        role = iam.Role(
            self,
            "TimerRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description=f"{self.state_machine_name}: invoke the SLA check, logs, X-Ray",
        )
        # Written out here rather than granted by the constructs, which would add
        # `<function>:*` (any version) to the invoke permission.
        policy = iam.Policy(
            self,
            "TimerPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[function.function_arn]
                ),
                iam.PolicyStatement(
                    actions=[
                        "logs:CreateLogDelivery",
                        "logs:GetLogDelivery",
                        "logs:UpdateLogDelivery",
                        "logs:DeleteLogDelivery",
                        "logs:ListLogDeliveries",
                        "logs:PutResourcePolicy",
                        "logs:DescribeResourcePolicies",
                        "logs:DescribeLogGroups",
                    ],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    actions=[
                        "xray:PutTraceSegments",
                        "xray:PutTelemetryRecords",
                        "xray:GetSamplingRules",
                        "xray:GetSamplingTargets",
                    ],
                    resources=["*"],
                ),
            ],
        )
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::*]",
            "CloudWatch Logs delivery and X-Ray accept no resource-level permissions: AWS "
            "documents Resource * for a state machine's logging and tracing actions. The "
            "Lambda permission names the one function.",
        )
        machine = sfn.StateMachine(
            self,
            "Timers",
            state_machine_name=self.state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            comment="mspdesk SLA timer: wait until warn_at, check, wait until breach_at, check",
            definition_body=sfn.DefinitionBody.from_chainable(until_warning),
            role=role.without_policy_updates(),
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
            tracing_enabled=True,
            timeout=LONGEST_TIMER,
        )
        # CreateStateMachine checks the role's logging permissions: the policy comes first.
        machine.node.add_dependency(policy)
        return machine
