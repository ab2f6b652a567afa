"""Cognito: the user pool of agents, admins and end-users, and the web app's client."""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack
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
        self.web_client = self.user_pool.add_client(
            "WebClient",
            user_pool_client_name=f"{config.prefix}-web",
            # A browser cannot keep a secret; it signs in with SRP and sends the ID token.
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )

    @property
    def issuer(self) -> str:
        """The `iss` of the pool's tokens, spelt as the gateway's JWT authorizer spells it."""
        region = Stack.of(self).region
        return f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool.user_pool_id}"

    @property
    def client_ids_json(self) -> str:
        """MSPDESK_COGNITO_CLIENT_IDS: pydantic-settings reads a JSON list into list[str]."""
        return json.dumps([self.web_client.user_pool_client_id])
