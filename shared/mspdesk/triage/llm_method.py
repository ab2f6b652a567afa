"""The LLM method as triage uses it: the MSP's catalogue and the ticket in, proposed fields
out, through mspdesk.triage.llm (the Anthropic Messages API)."""

from __future__ import annotations

from collections.abc import Callable

from mspdesk.config import Settings
from mspdesk.domain.triage import TicketFacts
from mspdesk.runtime import aws_client
from mspdesk.services.deps import Deps
from mspdesk.services.triage import LlmProposal, TriageContext
from mspdesk.triage.llm import (
    AnthropicTriage,
    LlmAgent,
    LlmCatalogue,
    LlmCategory,
    LlmContract,
    LlmTeam,
    LlmTicket,
    secret_api_key,
)
from mspdesk.triage.ports import TriageUnavailable
from mspdesk.triage_config import TriageConfig


class AnthropicMethod:
    def __init__(
        self,
        deps: Deps,
        api_key: Callable[[], str | None],
        default_model: str,
        timeout_seconds: float,
        base_url: str | None = None,
    ) -> None:
        self._d = deps
        self._api_key = api_key
        self._default_model = default_model
        self._timeout = timeout_seconds
        self._base_url = base_url
        self._clients: dict[str, AnthropicTriage] = {}

    @classmethod
    def from_config(cls, config: Settings, triage: TriageConfig, deps: Deps) -> AnthropicMethod:
        assert triage.anthropic_secret_id is not None
        key = secret_api_key(
            lambda: aws_client("secretsmanager", config), triage.anthropic_secret_id
        )
        return cls(
            deps, key, triage.anthropic_model, triage.llm_timeout_seconds, triage.anthropic_base_url
        )

    def configured(self) -> bool:
        try:
            return bool(self._api_key())
        except TriageUnavailable:
            return False

    def _client(self) -> AnthropicTriage:
        model = self._d.store.get_settings().triage.llm_model or self._default_model
        if model not in self._clients:
            self._clients[model] = AnthropicTriage(
                self._api_key, model, timeout_seconds=self._timeout, base_url=self._base_url
            )
        return self._clients[model]

    def propose(self, context: TriageContext, facts: TicketFacts) -> LlmProposal:
        names = {c.id: c.name for c in context.categories}
        catalogue = LlmCatalogue(
            categories=[
                LlmCategory(c.id, c.name, names.get(c.parent_id) if c.parent_id else None)
                for c in context.categories
            ],
            teams=[LlmTeam(t.id, t.name) for t in context.teams],
            agents=[
                LlmAgent(
                    load.agent.id,
                    load.agent.name,
                    load.agent.team_ids,
                    load.agent.skills,
                    load.open_tickets,
                )
                for load in context.loads()
            ],
        )
        contract = context.contract
        ticket = LlmTicket(
            subject=facts.subject,
            body=facts.body,
            client_name=context.client_name,
            contract=LlmContract(contract.name, contract.kind) if contract else None,
            vip=facts.vip,
            source=facts.source,
        )
        result = self._client().triage(catalogue, ticket)
        answer = result.answer
        return LlmProposal(
            fields={
                "category_id": answer.category_id,
                "priority": answer.priority,
                "team_id": answer.team_id,
                "agent_id": answer.agent_id,
            },
            confidence=answer.confidence,
            estimated_minutes=answer.estimated_minutes,
            reasoning=answer.reasoning,
            model=result.model,
        )
