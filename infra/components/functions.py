"""The Lambda functions: the shared library as a layer, and per function its own role, log
group and, for asynchronous functions, a dead-letter queue with an alarm."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.table import DeskTable
from infra.config import StageConfig
from infra.nag import acknowledge
from infra.sources import LambdaSources

# The layer is built for this runtime and architecture (infra/package.py).
RUNTIME = lambda_.Runtime.PYTHON_3_11
ARCHITECTURE = lambda_.Architecture.X86_64
# The longest SQS keeps a message: time to look at a failed event and redrive it.
DLQ_RETENTION = Duration.days(14)


def construct_name(function: str) -> str:
    """sla_monitor -> SlaMonitor: the construct id (and so the logical ids) of a function."""
    return "".join(part.title() for part in function.replace("-", "_").split("_"))


class DeskFunction(Construct):
    """functions/<name>/handler.py as a Lambda function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        config: StageConfig,
        code: lambda_.Code,
        layer: lambda_.ILayerVersion,
        environment: dict[str, str],
        asynchronous: bool,
        memory_size: int,
        timeout: Duration,
        retry_attempts: int,
        max_event_age: Duration,
    ) -> None:
        super().__init__(scope, construct_id)
        function_name = f"{config.prefix}-{name.replace('_', '-')}"
        # Our own role and log group instead of AWSLambdaBasicExecutionRole, which may write
        # to every log group of the account.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{function_name}: its log group, the table, the event bus",
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{function_name}",
            retention=config.log_retention,
            removal_policy=config.removal_policy,
        )
        self.log_group.grant_write(self.role)

        self.dead_letter_queue: sqs.Queue | None = None
        if asynchronous:
            self.dead_letter_queue = sqs.Queue(
                self,
                "DeadLetters",
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                retention_period=DLQ_RETENTION,
            )
            cloudwatch.Alarm(
                self,
                "DeadLettersAlarm",
                alarm_description=f"{function_name} dropped events into its dead-letter queue",
                metric=self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(5), statistic="Maximum"
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )

        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=f"functions.{name}.handler.handler",
            code=code,
            layers=[layer],
            role=self.role,
            memory_size=memory_size,
            timeout=timeout,
            environment=environment,
            log_group=self.log_group,
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=retry_attempts if asynchronous else None,
            max_event_age=max_event_age if asynchronous else None,
        )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Python 3.11 on purpose: the project pins it (pyproject requires-python) and the "
            "layer's compiled wheels and bytecode are built for CPython 3.11.",
        )


class DeskFunctions(Construct):
    """Creates each function once: a consumer of events may also be scheduled."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        sources: LambdaSources,
        table: DeskTable,
        bus: events.IEventBus,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._sources = sources
        self._table = table
        self._bus = bus
        self._functions: dict[str, DeskFunction] = {}
        self.layer = lambda_.LayerVersion(
            self,
            "SharedLayer",
            code=sources.layer_code(),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="mspdesk: the shared library and its runtime dependencies",
            removal_policy=config.removal_policy,
        )

    def add(
        self,
        name: str,
        *,
        asynchronous: bool,
        memory_size: int = 512,
        timeout: Duration | None = None,
        environment: dict[str, str] | None = None,
        retry_attempts: int = 2,
        max_event_age: Duration | None = None,
    ) -> DeskFunction:
        """A function with read/write access to the table and PutEvents on the bus, which is
        what every handler builds (mspdesk.runtime.build_deps)."""
        if name in self._functions:
            raise ValueError(f"function {name!r} is defined twice")
        function = DeskFunction(
            self,
            construct_name(name),
            name=name,
            config=self._config,
            code=self._sources.function_code(name),
            layer=self.layer,
            environment={
                "MSPDESK_TABLE_NAME": self._table.table.table_name,
                "MSPDESK_EVENT_BUS_NAME": self._bus.event_bus_name,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **(environment or {}),
            },
            asynchronous=asynchronous,
            memory_size=memory_size,
            timeout=timeout or Duration.seconds(30),
            retry_attempts=retry_attempts,
            max_event_age=max_event_age or Duration.hours(6),
        )
        self._table.grant_read_write(function.role)
        self._bus.grant_put_events_to(function.role)
        self._functions[name] = function
        return function

    def consumer(self, name: str) -> DeskFunction:
        """The function that consumes events: the one already defined, or a new asynchronous
        one with the defaults."""
        function = self._functions.get(name) or self.add(name, asynchronous=True)
        if function.dead_letter_queue is None:
            raise ValueError(f"function {name!r} is synchronous: it cannot consume events")
        return function

    def __getitem__(self, name: str) -> DeskFunction:
        return self._functions[name]

    @property
    def names(self) -> list[str]:
        return sorted(self._functions)
