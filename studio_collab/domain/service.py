"""The domain's setup posture (GET domain, row D2): reads the domain, its VPC and its default execution role
through the AWS seam, then applies the rules of :mod:`.posture`. Tornado-free; routes.py only answers."""

from __future__ import annotations

import asyncio

from ..errors import StudioCollabError
from ..studio.aws import AwsClients
from ..studio.cache import TtlCache
from ..studio.service import StudioService
from .posture import FULL_ACCESS_POLICY, PostureFacts, assess, role_name


class DomainPosture:
    """Reads the domain (through the shared Studio cache), its VPC and its default role, then assesses."""

    def __init__(self, studio: StudioService, aws: AwsClients, cache: TtlCache, ttl: float):
        self.studio = studio
        self.aws = aws
        self.cache = cache
        self.ttl = ttl

    async def read(self) -> dict:
        context = self.studio.context
        if not context.in_studio or not context.domain_id:
            return self._unknown(context.reason or "Not running in a SageMaker Studio domain.", available=False)
        try:
            domain = await self.studio.describe_domain()
        except StudioCollabError as err:
            return self._unknown(err.message, available=err.code != "not_in_studio", domain_id=context.domain_id)
        return await self.cache.get(
            ("domain:posture", context.domain_id, domain.get("LastModifiedTime")),
            lambda: self._assess(domain),
            self.ttl,
        )

    async def _assess(self, domain: dict) -> dict:
        facts = PostureFacts(domain)
        role = (domain.get("DefaultUserSettings") or {}).get("ExecutionRole")
        await asyncio.gather(self._check_vpc(facts, domain.get("VpcId")), self._check_role(facts, role))
        verdict, findings = assess(facts)
        return {
            "available": True,
            "reason": None,
            "domain_id": domain.get("DomainId"),
            "domain_name": domain.get("DomainName"),
            "auth_mode": domain.get("AuthMode"),
            "network_access": domain.get("AppNetworkAccessType"),
            "vpc": {"id": domain.get("VpcId"), "is_default": facts.vpc_is_default},
            "subnet_ids": list(domain.get("SubnetIds") or []),
            "kms_key_id": domain.get("KmsKeyId"),
            "execution_role": role,
            "execution_role_full_access": facts.role_full_access,
            "verdict": verdict,
            "findings": findings,
        }

    async def _check_vpc(self, facts: PostureFacts, vpc_id: str | None) -> None:
        if not vpc_id:
            facts.gaps.append("The domain names no VPC, so whether it uses the default VPC is unknown.")
            return
        try:
            answer = await self.aws.call("ec2", "DescribeVpcs", VpcIds=[vpc_id])
        except StudioCollabError as err:
            facts.gaps.append(_gap("whether the VPC is the default one", err))
            return
        vpcs = answer.get("Vpcs") or []
        facts.vpc_is_default = bool(vpcs[0].get("IsDefault")) if vpcs else None

    async def _check_role(self, facts: PostureFacts, role_arn: str | None) -> None:
        name = role_name(role_arn)
        if name is None:
            facts.gaps.append("The domain sets no default execution role to check.")
            return
        try:
            policies = await self.aws.paginate("iam", "ListAttachedRolePolicies", "AttachedPolicies", RoleName=name)
        except StudioCollabError as err:
            facts.gaps.append(_gap("which policies the execution role carries", err))
            return
        facts.role_full_access = any(p.get("PolicyName") == FULL_ACCESS_POLICY for p in policies)

    @staticmethod
    def _unknown(reason: str, available: bool, domain_id: str | None = None) -> dict:
        return {
            "available": available,
            "reason": reason,
            "domain_id": domain_id,
            "domain_name": None,
            "auth_mode": None,
            "network_access": None,
            "vpc": {"id": None, "is_default": None},
            "subnet_ids": [],
            "kms_key_id": None,
            "execution_role": None,
            "execution_role_full_access": None,
            "verdict": "unknown",
            "findings": [{"id": "domain_unreadable", "severity": "info", "message": reason}],
        }


def _gap(what: str, err: StudioCollabError) -> str:
    if err.code == "aws_access_denied":
        return f"Could not check {what}: {err.message}"
    return f"Could not check {what} right now ({err.code}); it is retried on the next refresh."
