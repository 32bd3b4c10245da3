"""The JSON Schema of a scenario file (YAML): a Studio domain and everything that runs in it.

Times are relative to the moment the world is seeded (``started_hours_ago``), so a scenario always looks like
"now". Git repos are named, not addressed: the world's git server gives them their https URLs.
"""

from __future__ import annotations

_NAME = {"type": "string", "pattern": "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"}
_REPO_REFS = {"type": "array", "items": {"type": "string"}, "maxItems": 10}
_HOURS = {"type": "number", "minimum": 0}
_INSTANCE = {"type": "string", "pattern": r"^(ml\.[a-z0-9]+\.[a-z0-9]+|system)$"}
# Who created a resource from Studio: the seeder tags it as Studio does (sagemaker:user-profile-arn /
# sagemaker:space-arn), which is where the product reads its owner.
_CREATOR = {"owner": {"type": "string"}, "space": {"type": "string"}}
_IDLE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "lifecycle_management": {"enum": ["ENABLED", "DISABLED"]},
        "idle_timeout_minutes": {"type": "integer", "minimum": 60, "maximum": 525600},
        "min_idle_timeout_minutes": {"type": "integer", "minimum": 60, "maximum": 525600},
        "max_idle_timeout_minutes": {"type": "integer", "minimum": 60, "maximum": 525600},
    },
}

SCENARIO_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "domain"],
    "properties": {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "region": {"type": "string", "pattern": "^[a-z]{2}(-gov)?-[a-z]+-[0-9]$"},
        "domain": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "auth_mode"],
            "properties": {
                "name": _NAME,
                "auth_mode": {"enum": ["IAM", "SSO"]},
                "network": {"enum": ["PublicInternetOnly", "VpcOnly"]},
                "vpc": {
                    "oneOf": [
                        {"const": "default"},
                        {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["cidr"],
                            "properties": {
                                "cidr": {"type": "string"},
                                "subnets": {"type": "integer", "minimum": 1, "maximum": 6},
                            },
                        },
                    ]
                },
                "kms_key": {"type": "boolean"},
                "execution_role": {"type": "string"},
                "code_repositories": _REPO_REFS,
                "space_code_repositories": _REPO_REFS,
                "idle": _IDLE,
                "default_instance_type": _INSTANCE,
                "ebs_default_gb": {"type": "integer", "minimum": 5, "maximum": 16384},
                "ebs_max_gb": {"type": "integer", "minimum": 5, "maximum": 16384},
            },
        },
        "git": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "repos": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name"],
                        "properties": {
                            "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9._-]*$"},
                            "template": {"enum": ["notebooks", "library", "big", "dataset"]},
                            # Served at most this fast (kB/s), so a clone's progress can be watched; only `make lab`'s
                            # catalog lists such a repo (tests clone at full speed).
                            "rate_limit_kbps": {"type": "integer", "minimum": 1, "maximum": 1000000},
                            "private": {"type": "boolean"},
                            "branches": {"type": "array", "items": {"type": "string"}},
                            "commits": {"type": "integer", "minimum": 1, "maximum": 500},
                        },
                    },
                }
            },
        },
        "user_profiles": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": _NAME,
                    "code_repositories": _REPO_REFS,
                    "sso_user": {"type": "string"},
                    "idle": _IDLE,
                },
            },
        },
        "spaces": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "owner", "sharing"],
                "properties": {
                    "name": _NAME,
                    "owner": {"type": "string"},
                    "sharing": {"enum": ["Private", "Shared"]},
                    "display_name": {"type": "string"},
                    "app_type": {"enum": ["JupyterLab", "CodeEditor"]},
                    "code_repositories": _REPO_REFS,
                    "ebs_gb": {"type": "integer", "minimum": 5, "maximum": 16384},
                    "idle_timeout_minutes": {"type": "integer", "minimum": 60, "maximum": 525600},
                    "url": {"enum": ["lab"]},
                },
            },
        },
        "apps": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["space"],
                "properties": {
                    "space": {"type": "string"},
                    "name": {"type": "string"},
                    "instance_type": _INSTANCE,
                    "started_hours_ago": _HOURS,
                    "status": {"enum": ["InService", "Pending", "Deleted", "Failed"]},
                },
            },
        },
        "notebook_instances": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "instance_type"],
                "properties": {
                    "name": _NAME,
                    "instance_type": _INSTANCE,
                    "started_hours_ago": _HOURS,
                    "status": {"enum": ["InService", "Stopped", "Pending", "Failed"]},
                    "volume_gb": {"type": "integer", "minimum": 5, "maximum": 16384},
                },
            },
        },
        "endpoints": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "instance_type"],
                "properties": {
                    "name": _NAME,
                    "instance_type": _INSTANCE,
                    "count": {"type": "integer", "minimum": 1},
                    "started_hours_ago": _HOURS,
                    "status": {"enum": ["InService", "Creating", "Updating", "Failed"]},
                },
            },
        },
        "training_jobs": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "status"],
                "properties": {
                    "name": _NAME,
                    "status": {"enum": ["InProgress", "Completed", "Failed", "Stopped"]},
                    "instance_type": _INSTANCE,
                    "instance_count": {"type": "integer", "minimum": 1},
                    "hyperparameters": {"type": "object", "additionalProperties": {"type": "string"}},
                    "metrics": {"type": "object", "additionalProperties": {"type": "number"}},
                    "started_hours_ago": _HOURS,
                    "duration_minutes": {"type": "number", "minimum": 0},
                    "failure_reason": {"type": "string"},
                    "experiment": {"type": "string"},
                    "trial": {"type": "string"},
                    "channels": {
                        "type": "object",
                        "description": "input channels: {name: s3 uri}",
                        "additionalProperties": {"type": "string", "pattern": "^s3://"},
                    },
                    "warm_pool_minutes": {
                        "type": "number",
                        "minimum": 1,
                        "maximum": 360,
                        "description": "KeepAlivePeriodInSeconds / 60: its instances stay (and bill)",
                    },
                    **_CREATOR,
                },
            },
        },
        "inference_components": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "endpoint"],
                "properties": {
                    "name": _NAME,
                    "endpoint": {"type": "string"},
                    "copies": {"type": "integer", "minimum": 0},
                    "accelerators": {"type": "integer", "minimum": 0},
                    "memory_mb": {"type": "integer"},
                    "started_hours_ago": _HOURS,
                    **_CREATOR,
                },
            },
        },
        "mlflow_apps": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": _NAME,
                    "account_default": {"type": "boolean"},
                    "domain_default": {"type": "boolean", "description": "default App of this domain"},
                    "local": {"type": "boolean", "description": "resolves to the world's MLflow server"},
                    "started_hours_ago": _HOURS,
                    **_CREATOR,
                },
            },
        },
        "notebook_jobs": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "notebook"],
                "description": "Scheduled notebook jobs as jupyter-scheduler makes them: a SageMaker pipeline tagged "
                "sagemaker:is-scheduling-notebook-job whose one training step runs the notebook",
                "properties": {
                    "name": _NAME,
                    "notebook": {"type": "string"},
                    "instance_type": _INSTANCE,
                    "schedule": {"type": "string"},
                    **_CREATOR,
                },
            },
        },
        "experiments": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": _NAME,
                    "description": {"type": "string"},
                    "trials": {"type": "array", "items": _NAME},
                    "runs": {
                        "type": "array",
                        "description": "runs the SageMaker Experiments SDK logged",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["name", "trial"],
                            "properties": {
                                "name": _NAME,
                                "trial": _NAME,
                                "display_name": {"type": "string"},
                                "status": {"enum": ["Completed", "Failed", "Stopped", "InProgress"]},
                                "started_hours_ago": _HOURS,
                                "minutes": {"type": "number", "minimum": 0},
                                "parameters": {
                                    "type": "object",
                                    "additionalProperties": {"type": ["string", "number"]},
                                },
                                "metrics": {
                                    "type": "object",
                                    "additionalProperties": {
                                        "type": "array",
                                        "minItems": 1,
                                        "items": {"type": "number"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
        "mlflow_tracking_servers": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": _NAME,
                    "size": {"enum": ["Small", "Medium", "Large"]},
                    "status": {"enum": ["Created", "Stopped"]},
                    "started_hours_ago": _HOURS,
                    "local": {"type": "boolean", "description": "resolves to the world's MLflow server"},
                },
            },
        },
        "mlflow": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "experiments": {"type": "array", "items": {"type": "string"}},
                "runs_per_experiment": {"type": "integer", "minimum": 1, "maximum": 200},
                "steps": {"type": "integer", "minimum": 1, "maximum": 1000},
            },
        },
        "cost_explorer": {
            "type": "object",
            "additionalProperties": False,
            "required": ["days"],
            "properties": {
                "days": {"type": "integer", "minimum": 1, "maximum": 366},
                "space_hours_per_day": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 24,
                    "description": "hours a day each space's app ran",
                },
                "tag_activated": {
                    "type": "boolean",
                    "description": "sagemaker:space-arn is a cost allocation tag (false: every cost is untagged)",
                },
                "other_services_daily_usd": {
                    "type": "object",
                    "additionalProperties": {"type": "number", "minimum": 0},
                },
            },
        },
        "s3_buckets": {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"}},
        "secrets": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "git_token_for"],
                "properties": {
                    "name": {"type": "string"},
                    "git_token_for": {"type": "string"},
                    "description": {"type": "string"},
                },
            },
        },
        "lab_space": {"type": "string", "description": "the space whose resource-metadata.json the demo writes"},
    },
}

# What `studio-collab demo` (make lab) adds to its world for people to look at, beside the scenario: resources
# whose presence would change what other tests of the same scenario expect (the spaces of the domain, the
# training jobs Experiments lists). Only the demo with a lab seeds them (LocalWorld.reseed(lab_extras=True)).
SCENARIO_SCHEMA["properties"]["lab_extras"] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "spaces": SCENARIO_SCHEMA["properties"]["spaces"],
        "training_jobs": SCENARIO_SCHEMA["properties"]["training_jobs"],
    },
}
