"""Cognito: the user pool of agents, admins and end-users, and the web app's client."""

from __future__ import annotations

import json

import jsii
from aws_cdk import Duration, IStableListProducer, Lazy, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.config import StageConfig
from infra.nag import acknowledge

# Cognito groups mirror the roles of the desk; the desk itself reads a person's role from its
# own records (functions/api/auth.py), the groups serve the web app and the console.
GROUPS = {
    "admin": "MSP administrators: clients, contracts, SLA plans, routing",
    "agent": "MSP engineers working the queue",
    "end-user": "Staff of a client company: their own company's tickets only",
}
# The pages the hosted UI sends people back to (the console's and the portal's redirectUri).
WEB_PAGES = ("/", "/portal/")


@jsii.implements(IStableListProducer)
class _PageUrls:
    """The web client's callback and sign-out URLs: every page at every origin of the app,
    known once the web distribution exists (DeskIdentity.add_web_origin)."""

    def __init__(self, origins: list[str]) -> None:
        self._origins = origins

    def produce(self) -> list[str] | None:
        return [f"{origin}{page}" for origin in self._origins for page in WEB_PAGES] or None


class DeskIdentity(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=config.prefix,
            # People are invited by an admin (agents) or created with their client (end-users).
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Plus tier: threat protection blocks compromised credentials and risky sign-ins.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=config.is_prod,
            removal_policy=config.removal_policy,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG2",
            "MFA is optional on purpose: end-users of client companies sign in now and then to "
            "follow a ticket and most never enrol a second factor. TOTP is offered to everyone, "
            "and threat protection (Plus tier, full function) challenges risky sign-ins.",
        )
        self.groups = {
            name: cognito.UserPoolGroup(
                self,
                f"{name.title().replace('-', '')}Group",
                user_pool=self.user_pool,
                group_name=name,
                description=description,
                precedence=precedence,
            )
            for precedence, (name, description) in enumerate(GROUPS.items())
        }
        # The hosted UI at https://<prefix>.auth.<region>.amazoncognito.com. A prefix is unique
        # in a region across all AWS accounts: the account id makes ours so.
        prefix = self.node.try_get_context("cognito_domain_prefix") or (
            f"{config.prefix}-{Stack.of(self).account}"
        )
        self.sign_in = self.user_pool.add_domain(
            "SignIn", cognito_domain=cognito.CognitoDomainOptions(domain_prefix=str(prefix))
        )
        self._web_origins: list[str] = []
        page_urls = Lazy.list(_PageUrls(self._web_origins))
        self.web_client = self.user_pool.add_client(
            "WebClient",
            user_pool_client_name=f"{config.prefix}-web",
            # A browser cannot keep a secret: the web app signs in through the hosted UI with
            # the authorization code and PKCE, and sends the ID token.
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[
                    cognito.OAuthScope.OPENID,
                    cognito.OAuthScope.EMAIL,
                    cognito.OAuthScope.PROFILE,
                ],
                callback_urls=page_urls,
                logout_urls=page_urls,
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )

    def add_web_origin(self, origin: str) -> None:
        """Let the hosted UI send people back to the web app at `origin` (`https://host`):
        its console and its portal. The web distribution calls this, after the client exists:
        the client refers to the distribution, never the other way round."""
        self._web_origins.append(origin.rstrip("/"))

    @property
    def sign_in_url(self) -> str:
        """The hosted UI's base URL: config.json's cognitoDomain."""
        return self.sign_in.base_url()

    @property
    def issuer(self) -> str:
        """The `iss` of the pool's tokens, spelt as the gateway's JWT authorizer spells it."""
        region = Stack.of(self).region
        return f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool.user_pool_id}"

    @property
    def client_ids_json(self) -> str:
        """MSPDESK_COGNITO_CLIENT_IDS: pydantic-settings reads a JSON list into list[str]."""
        return json.dumps([self.web_client.user_pool_client_id])
