"""Setup posture rules (row D2): does this domain look like Quick setup or like a Manual (production) setup?

Quick setup makes an IAM-auth domain on the account's default VPC with public internet access, no
customer KMS key, and an execution role carrying AmazonSageMakerFullAccess: right for learning and proofs
of concept, wrong for sensitive data. The verdict is ``quick`` only when every core sign is known and
points that way, ``manual`` as soon as one deliberate choice shows, and ``unknown`` otherwise; each
finding says why it matters, and a check that could not run says which permission it lacked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FULL_ACCESS_POLICY = "AmazonSageMakerFullAccess"


@dataclass
class PostureFacts:
    domain: dict
    vpc_is_default: bool | None = None
    role_full_access: bool | None = None
    # Checks that could not run, each a sentence naming what is missing.
    gaps: list[str] = field(default_factory=list)


def assess(facts: PostureFacts) -> tuple[str, list[dict]]:
    """The verdict and findings for a described domain: pure, so every rule is unit-tested."""
    domain = facts.domain
    findings: list[dict] = []

    def add(finding_id: str, severity: str, message: str) -> None:
        findings.append({"id": finding_id, "severity": severity, "message": message})

    network = domain.get("AppNetworkAccessType")
    kms = domain.get("KmsKeyId")
    auth = domain.get("AuthMode")
    quick_signs: list[bool | None] = []
    manual_signs = 0

    if network == "PublicInternetOnly":
        quick_signs.append(True)
        add(
            "public_internet",
            "warning",
            "Apps reach the internet directly, not through your VPC (network "
            "access: public internet only). Fine for learning and proofs of concept; for sensitive data use "
            "VPC only, so traffic stays in your network and its controls apply.",
        )
    elif network == "VpcOnly":
        manual_signs += 1
        add(
            "vpc_only",
            "ok",
            "Apps reach the network only through your VPC (VPC only): traffic stays under "
            "your network controls, as production needs.",
        )
    else:
        quick_signs.append(None)
        add("network_unknown", "info", "The domain does not say how its apps reach the network.")

    if facts.vpc_is_default is True:
        quick_signs.append(True)
        add(
            "default_vpc",
            "warning",
            f"The domain runs in the account's default VPC ({domain.get('VpcId')}), "
            "whose subnets are public and shared with everything else in the account. Quick setup does this; "
            "production domains get a dedicated VPC with private subnets.",
        )
    elif facts.vpc_is_default is False:
        manual_signs += 1
        add(
            "dedicated_vpc",
            "ok",
            f"The domain runs in a dedicated VPC ({domain.get('VpcId')}), not the account's default one.",
        )
    else:
        quick_signs.append(None)

    if kms:
        manual_signs += 1
        add(
            "kms_key",
            "ok",
            "Storage is encrypted with your own KMS key, so you control and can revoke access to the data at rest.",
        )
    else:
        quick_signs.append(True)
        add(
            "no_kms_key",
            "warning",
            "No customer KMS key: storage is encrypted with an AWS-owned key that you "
            "cannot audit, rotate or revoke. Production domains usually set their own key.",
        )

    if auth == "SSO":
        manual_signs += 1
        add(
            "sso_auth",
            "ok",
            "Users sign in through IAM Identity Center: one identity per person, managed "
            "centrally, and Studio knows who opened each app.",
        )
    elif auth == "IAM":
        add(
            "iam_auth",
            "info",
            "Users sign in through IAM (the console or pre-signed URLs), as Quick setup "
            "does. Teams usually move to IAM Identity Center for central identities and per-person audit.",
        )

    if facts.role_full_access is True:
        add(
            "full_access_role",
            "warning",
            f"The default execution role carries {FULL_ACCESS_POLICY}: every "
            "notebook can create, change and delete any SageMaker resource in the account. Quick setup attaches "
            "it; production roles are scoped to what the team needs.",
        )
    elif facts.role_full_access is False:
        add("scoped_role", "ok", f"The default execution role does not carry {FULL_ACCESS_POLICY}.")

    for number, gap in enumerate(facts.gaps):
        add(f"unchecked_{number + 1}", "info", gap)

    if manual_signs:
        verdict = "manual"
    elif quick_signs and all(sign is True for sign in quick_signs):
        verdict = "quick"
        add(
            "quick_setup",
            "warning",
            "This looks like a Quick setup domain: fine for learning and proofs of "
            "concept, not for production or sensitive data. Ask your platform admin for a Manual setup domain.",
        )
    else:
        verdict = "unknown"
    return verdict, findings


def role_name(role_arn: str | None) -> str | None:
    """``arn:aws:iam::1:role/service-role/Name`` → ``Name`` (IAM wants the name without its path)."""
    if not role_arn or ":role/" not in role_arn:
        return None
    return role_arn.rsplit("/", 1)[-1] or None
