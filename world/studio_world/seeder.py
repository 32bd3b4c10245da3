"""Seeds a scenario into the emulator through boto3, as an admin would build the account through the AWS API.

Only what the API cannot express (an app started hours ago, a training job still running) goes through the
emulator's override endpoint afterwards.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .awsproto import ACCOUNT_ID
from .control import EmulatorControl
from .pricing import PRICES_FILE, REGIONS
from .scenario import Scenario

TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
XGBOOST_IMAGE = "683313688378.dkr.ecr.{region}.amazonaws.com/sagemaker-xgboost:1.7-1"
APP_COMPONENTS = {"JupyterLab": "studio_jupyterlab", "CodeEditor": "studio_codeeditor"}  # price table components


@dataclass
class SeedLinks:
    """Where the world's other servers are, so the seeded resources point at them."""

    repo_urls: dict[str, str] = field(default_factory=dict)  # repo name → https clone URL
    repo_tokens: dict[str, str] = field(default_factory=dict)  # private repo name → token
    mlflow_url: str | None = None
    lab_url: str | None = None  # base URL of the local JupyterLab (a space's Url)


@dataclass
class SeedResult:
    domain_id: str
    execution_role_arn: str
    vpc_id: str
    subnet_ids: list[str]
    kms_key_id: str | None
    tracking_server_arns: dict[str, str]


class Seeder:
    def __init__(self, endpoint_url: str, scenario: Scenario, links: SeedLinks | None = None, workers: int = 4):
        import boto3
        from botocore.config import Config

        self.scenario = scenario
        self.links = links or SeedLinks()
        self.control = EmulatorControl(endpoint_url)
        self.region = scenario.region
        self.now = datetime.now(timezone.utc)  # "hours ago" are counted from the start of each seed()
        self.workers = workers
        self.lab_extras = False  # seed the scenario's lab_extras too (the demo's world)
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=self.region
        )
        config = Config(retries={"total_max_attempts": 1}, max_pool_connections=workers * 2)
        self._client = {
            s: session.client(s, endpoint_url=endpoint_url, config=config)
            for s in ("sagemaker", "iam", "ec2", "kms", "s3", "secretsmanager", "ce", "sagemaker-metrics")
        }

    def client(self, service: str):
        return self._client[service]

    def ago(self, hours: float | None) -> datetime:
        return self.now - timedelta(hours=hours or 0)

    def repo_urls(self, names) -> list[dict]:
        return [{"RepositoryUrl": self.links.repo_urls[n]} for n in names or [] if n in self.links.repo_urls]

    # --- the whole scenario -----------------------------------------------------------------------
    def seed(self) -> SeedResult:
        """Create the scenario in an empty (just reset) emulator. A Seeder can seed again after each reset."""
        self.now = datetime.now(timezone.utc)
        sc = self.scenario
        role_arn = self.execution_role(sc.data["domain"].get("execution_role", "SageMakerExecutionRole"))
        vpc_id, subnets = self.network(sc.data["domain"].get("vpc", "default"))
        kms = self.kms_key() if sc.data["domain"].get("kms_key") else None
        domain_id = self.domain(role_arn, vpc_id, subnets, kms)
        self._domain_id = domain_id
        self._parallel(lambda p: self.user_profile(domain_id, p), sc.section("user_profiles"))
        self._parallel(lambda s: self.space(domain_id, s), sc.section("spaces"))
        self._parallel(lambda a: self.app(domain_id, a), sc.section("apps"))
        self._parallel(lambda n: self.notebook_instance(role_arn, n), sc.section("notebook_instances"))
        self._parallel(lambda e: self.endpoint(role_arn, e), sc.section("endpoints"))
        for experiment in sc.section("experiments"):
            self.experiment(experiment)
        self._parallel(lambda j: self.training_job(role_arn, j), sc.section("training_jobs"))
        if self.lab_extras:  # `studio-collab demo`'s own additions (scenario_schema.py, lab_extras)
            extras = sc.data.get("lab_extras") or {}
            for space in extras.get("spaces") or []:
                self.space(domain_id, space)
            for job in extras.get("training_jobs") or []:
                self.training_job(role_arn, job)
        servers = {t["name"]: self.tracking_server(role_arn, t) for t in sc.section("mlflow_tracking_servers")}
        for component in sc.section("inference_components"):
            self.inference_component(domain_id, component)
        for app in sc.section("mlflow_apps"):
            self.mlflow_app(domain_id, role_arn, app)
        for job in sc.section("notebook_jobs"):
            self.notebook_job(domain_id, role_arn, job)
        if sc.data.get("cost_explorer"):
            self.cost_explorer(sc.data["cost_explorer"], domain_id)
        for bucket in sc.section("s3_buckets"):
            self.client("s3").create_bucket(Bucket=bucket)
        for secret in sc.section("secrets"):
            self.secret(secret)
        return SeedResult(domain_id, role_arn, vpc_id, subnets, kms, servers)

    def _parallel(self, fn, items: list) -> None:
        if len(items) < 20:
            for item in items:
                fn(item)
            return
        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(fn, items))

    # --- account --------------------------------------------------------------------------------------
    def execution_role(self, name: str) -> str:
        role = self.client("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=TRUST_POLICY, Description="SageMaker Studio execution role"
        )
        return role["Role"]["Arn"]

    def network(self, vpc) -> tuple[str, list[str]]:
        ec2 = self.client("ec2")
        if vpc == "default":
            vpc_id = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
            subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
            return vpc_id, sorted(s["SubnetId"] for s in subnets)[:3]
        vpc_id = ec2.create_vpc(CidrBlock=vpc["cidr"])["Vpc"]["VpcId"]
        base = vpc["cidr"].split("/")[0].rsplit(".", 2)[0]
        subnets = [
            ec2.create_subnet(
                VpcId=vpc_id, CidrBlock=f"{base}.{i}.0/24", AvailabilityZone=f"{self.region}{'abcdef'[i]}"
            )["Subnet"]["SubnetId"]
            for i in range(vpc.get("subnets", 2))
        ]
        return vpc_id, subnets

    def kms_key(self) -> str:
        return self.client("kms").create_key(Description="SageMaker Studio domain encryption")["KeyMetadata"]["Arn"]

    # --- Studio ---------------------------------------------------------------------------------------
    def domain(self, role_arn: str, vpc_id: str, subnets: list[str], kms: str | None) -> str:
        d = self.scenario.data["domain"]
        idle = _idle_settings(d.get("idle"))
        lab = {
            "CodeRepositories": self.repo_urls(d.get("code_repositories")),
            "DefaultResourceSpec": {"InstanceType": d.get("default_instance_type", "ml.t3.medium")},
        }
        if idle:
            lab["AppLifecycleManagement"] = {"IdleSettings": idle}
        storage = {
            "DefaultEbsStorageSettings": {
                "DefaultEbsVolumeSizeInGb": d.get("ebs_default_gb", 5),
                "MaximumEbsVolumeSizeInGb": d.get("ebs_max_gb", 100),
            }
        }
        params = {
            "DomainName": d["name"],
            "AuthMode": d["auth_mode"],
            "VpcId": vpc_id,
            "SubnetIds": subnets,
            "AppNetworkAccessType": d.get("network", "PublicInternetOnly"),
            "DefaultUserSettings": {
                "ExecutionRole": role_arn,
                "JupyterLabAppSettings": lab,
                "SpaceStorageSettings": storage,
                "DefaultLandingUri": "studio::",
                "StudioWebPortal": "ENABLED",
            },
            "DefaultSpaceSettings": {
                "ExecutionRole": role_arn,
                "JupyterLabAppSettings": {"CodeRepositories": self.repo_urls(d.get("space_code_repositories"))},
            },
        }
        if kms:
            params["KmsKeyId"] = kms
        return self.client("sagemaker").create_domain(**params)["DomainId"]

    def user_profile(self, domain_id: str, p: dict) -> None:
        settings: dict = {}
        if p.get("code_repositories"):
            settings["JupyterLabAppSettings"] = {"CodeRepositories": self.repo_urls(p["code_repositories"])}
        if p.get("idle"):
            settings.setdefault("JupyterLabAppSettings", {})["AppLifecycleManagement"] = {
                "IdleSettings": _idle_settings(p["idle"])
            }
        params = {"DomainId": domain_id, "UserProfileName": p["name"], "UserSettings": settings}
        if p.get("sso_user"):
            params.update(SingleSignOnUserIdentifier="UserName", SingleSignOnUserValue=p["sso_user"])
        self.client("sagemaker").create_user_profile(**params)

    def space(self, domain_id: str, s: dict) -> None:
        app_type = s.get("app_type", "JupyterLab")
        settings: dict = {"AppType": app_type}
        if app_type == "JupyterLab":
            lab: dict = {}
            if s.get("code_repositories"):
                lab["CodeRepositories"] = self.repo_urls(s["code_repositories"])
            if s.get("idle_timeout_minutes"):
                lab["AppLifecycleManagement"] = {"IdleSettings": {"IdleTimeoutInMinutes": s["idle_timeout_minutes"]}}
            settings["JupyterLabAppSettings"] = lab
        if s.get("ebs_gb"):
            settings["SpaceStorageSettings"] = {"EbsStorageSettings": {"EbsVolumeSizeInGb": s["ebs_gb"]}}
        params = {
            "DomainId": domain_id,
            "SpaceName": s["name"],
            "SpaceSettings": settings,
            "OwnershipSettings": {"OwnerUserProfileName": s["owner"]},
            "SpaceSharingSettings": {"SharingType": s["sharing"]},
        }
        if s.get("display_name"):
            params["SpaceDisplayName"] = s["display_name"]
        self.client("sagemaker").create_space(**params)
        if s.get("url") == "lab" and self.links.lab_url:
            self.control.override(
                "space", {"DomainId": domain_id, "SpaceName": s["name"]}, {"Url": self.links.lab_url}, self.region
            )

    def app(self, domain_id: str, a: dict) -> None:
        space = self.scenario.space(a["space"])
        app_type = space.get("app_type", "JupyterLab")
        ident = {
            "DomainId": domain_id,
            "SpaceName": a["space"],
            "AppType": app_type,
            "AppName": a.get("name", "default"),
        }
        self.client("sagemaker").create_app(
            **ident, ResourceSpec={"InstanceType": a.get("instance_type", "ml.t3.medium")}
        )
        started = self.ago(a.get("started_hours_ago"))
        self.control.override(
            "app",
            ident,
            {
                "CreationTime": started,
                "Status": a.get("status", "InService"),
                "LastHealthCheckTimestamp": self.now,
                "LastUserActivityTimestamp": self.now,
            },
            self.region,
        )

    # --- the rest of the account ------------------------------------------------------------------
    def notebook_instance(self, role_arn: str, n: dict) -> None:
        sm = self.client("sagemaker")
        sm.create_notebook_instance(
            NotebookInstanceName=n["name"],
            InstanceType=n["instance_type"],
            RoleArn=role_arn,
            VolumeSizeInGB=n.get("volume_gb", 5),
        )
        status = n.get("status", "InService")
        if status == "Stopped":
            sm.stop_notebook_instance(NotebookInstanceName=n["name"])
        started = self.ago(n.get("started_hours_ago"))
        self.control.override(
            "notebook_instance",
            {"Name": n["name"]},
            {"NotebookInstanceStatus": status, "CreationTime": started, "LastModifiedTime": started},
            self.region,
        )

    def endpoint(self, role_arn: str, e: dict) -> None:
        sm = self.client("sagemaker")
        model = f"{e['name']}-model"
        sm.create_model(
            ModelName=model,
            ExecutionRoleArn=role_arn,
            PrimaryContainer={
                "Image": XGBOOST_IMAGE.format(region=self.region),
                "ModelDataUrl": f"s3://sagemaker-{self.region}-{ACCOUNT_ID}/{model}.tar.gz",
            },
        )
        config = f"{e['name']}-config"
        sm.create_endpoint_config(
            EndpointConfigName=config,
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": model,
                    "InitialInstanceCount": e.get("count", 1),
                    "InstanceType": e["instance_type"],
                    "InitialVariantWeight": 1.0,
                }
            ],
        )
        sm.create_endpoint(EndpointName=e["name"], EndpointConfigName=config)
        started = self.ago(e.get("started_hours_ago"))
        self.control.override(
            "endpoint",
            {"Name": e["name"]},
            {"EndpointStatus": e.get("status", "InService"), "CreationTime": started, "LastModifiedTime": started},
            self.region,
        )

    def experiment(self, x: dict) -> None:
        sm = self.client("sagemaker")
        sm.create_experiment(ExperimentName=x["name"], Description=x.get("description", x["name"]))
        for trial in x.get("trials") or []:
            sm.create_trial(TrialName=trial, ExperimentName=x["name"])
        for run in x.get("runs") or []:
            self._sdk_run(run)

    def _sdk_run(self, run: dict) -> None:
        """What the SageMaker Experiments SDK (``sagemaker.experiments.Run``) left behind: a trial component with
        its parameters, in its trial, and each metric's series sent through ``sagemaker-metrics:BatchPutMetrics``
        (SageMaker keeps their summaries: Min, Max, Avg, Last, Count)."""
        sm = self.client("sagemaker")
        started = self.ago(run.get("started_hours_ago", 24))
        parameters = {
            k: {"NumberValue": v}
            if isinstance(v, (int, float)) and not isinstance(v, bool)
            else {"StringValue": str(v)}
            for k, v in (run.get("parameters") or {}).items()
        }
        sm.create_trial_component(
            TrialComponentName=run["name"],
            DisplayName=run.get("display_name", run["name"]),
            StartTime=started,
            EndTime=started + timedelta(minutes=run.get("minutes", 20)),
            Status={"PrimaryStatus": run.get("status", "Completed")},
            Parameters=parameters,
        )
        sm.associate_trial_component(TrialComponentName=run["name"], TrialName=run["trial"])
        self._log_metrics(run["name"], run.get("metrics") or {}, started)

    def _log_metrics(self, component: str, series: dict[str, list[float]], started: datetime) -> None:
        data = [
            {"MetricName": name, "Timestamp": started + timedelta(minutes=step), "Step": step, "Value": value}
            for name, values in series.items()
            for step, value in enumerate(values)
        ]
        for chunk in range(0, len(data), 10):  # BatchPutMetrics takes at most 10 data points a call
            answer = self.client("sagemaker-metrics").batch_put_metrics(
                TrialComponentName=component, MetricData=data[chunk : chunk + 10]
            )
            if answer.get("Errors"):
                raise RuntimeError(f"BatchPutMetrics refused metrics of {component}: {answer['Errors']}")

    def training_job(self, role_arn: str, j: dict) -> None:
        params = {
            "TrainingJobName": j["name"],
            "RoleArn": role_arn,
            "HyperParameters": j.get("hyperparameters") or {},
            "AlgorithmSpecification": {
                "TrainingImage": XGBOOST_IMAGE.format(region=self.region),
                "TrainingInputMode": "File",
            },
            "OutputDataConfig": {"S3OutputPath": f"s3://sagemaker-{self.region}-{ACCOUNT_ID}/training/"},
            "ResourceConfig": {
                "InstanceType": j.get("instance_type", "ml.m5.xlarge"),
                "InstanceCount": j.get("instance_count", 1),
                "VolumeSizeInGB": 30,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
        }
        if j.get("channels"):  # {name: s3 uri}: the job's input data
            params["InputDataConfig"] = [
                {"ChannelName": name, "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}}
                for name, uri in j["channels"].items()
            ]
        if j.get("warm_pool_minutes"):
            params["ResourceConfig"]["KeepAlivePeriodInSeconds"] = int(j["warm_pool_minutes"] * 60)
        if self.creator_tags(self._domain_id, j):
            params["Tags"] = self.creator_tags(self._domain_id, j)
        if j.get("experiment"):
            params["ExperimentConfig"] = {"ExperimentName": j["experiment"], "TrialName": j.get("trial", j["name"])}
        self.client("sagemaker").create_training_job(**params)
        started = self.ago(j.get("started_hours_ago"))
        status = j["status"]
        ended = None if status == "InProgress" else started + timedelta(minutes=j.get("duration_minutes", 30))
        secondary = {"InProgress": "Training", "Completed": "Completed", "Failed": "Failed", "Stopped": "Stopped"}[
            status
        ]
        metrics = [
            {"MetricName": k, "Value": v, "Timestamp": (ended or self.now).isoformat()}
            for k, v in (j.get("metrics") or {}).items()
        ]
        fields = {
            "TrainingJobStatus": status,
            "SecondaryStatus": secondary,
            "CreationTime": started,
            "TrainingStartTime": started + timedelta(minutes=2),
            "TrainingEndTime": ended,
            "LastModifiedTime": ended or self.now,
            "FinalMetricDataList": metrics,
            "MetricDefinitions": [{"Name": k, "Regex": f"{k}=([0-9\\.]+)"} for k in (j.get("metrics") or {})],
            "SecondaryStatusTransitions": [
                {
                    "Status": "Starting",
                    "StartTime": started,
                    "EndTime": started + timedelta(minutes=2),
                    "StatusMessage": "Preparing the instances for training",
                },
                {
                    "Status": secondary,
                    "StartTime": started + timedelta(minutes=2),
                    "StatusMessage": j.get("failure_reason") or f"Training job {status.lower()}",
                },
            ],
        }
        if j.get("failure_reason"):
            fields["FailureReason"] = j["failure_reason"]
        self.control.override("training_job", {"Name": j["name"]}, fields, self.region)
        if j.get("experiment"):
            self._training_trial_component(j, status, started, ended)

    def _training_trial_component(self, j: dict, status: str, started, ended) -> None:
        """What SageMaker itself records for a training job run with an ExperimentConfig: a trial component
        named `<job>-aws-training-job`, with the hyperparameters as parameters, in the job's trial."""
        sm = self.client("sagemaker")
        name = f"{j['name']}-aws-training-job"
        component = {
            "TrialComponentName": name,
            "DisplayName": j["name"],
            "StartTime": started,
            "Status": {"PrimaryStatus": status},
            "Parameters": {k: {"StringValue": str(v)} for k, v in (j.get("hyperparameters") or {}).items()},
        }
        if ended is not None:
            component["EndTime"] = ended
        sm.create_trial_component(**component)
        sm.associate_trial_component(TrialComponentName=name, TrialName=j.get("trial", j["name"]))
        # SageMaker records the job's MetricDefinitions on its trial component as it trains: a series per metric
        # that ends at the final value (here five evaluations, rising to it).
        series = {
            k: [round(v * (0.9 + 0.025 * step), 4) for step in range(4)] + [v]
            for k, v in (j.get("metrics") or {}).items()
        }
        self._log_metrics(name, series, started)

    def tracking_server(self, role_arn: str, t: dict) -> str:
        arn = self.client("sagemaker").create_mlflow_tracking_server(
            TrackingServerName=t["name"],
            ArtifactStoreUri=f"s3://sagemaker-{self.region}-{ACCOUNT_ID}/mlflow/{t['name']}",
            RoleArn=role_arn,
            TrackingServerSize=t.get("size", "Small"),
        )["TrackingServerArn"]
        status = t.get("status", "Created")
        fields = {
            "TrackingServerStatus": status,
            "IsActive": "Active" if status == "Created" else "Inactive",
            "CreationTime": self.ago(t.get("started_hours_ago")),
        }
        if t.get("local") and self.links.mlflow_url:
            fields["TrackingServerUrl"] = self.links.mlflow_url
        self.control.override("tracking_server", {"TrackingServerName": t["name"]}, fields, self.region)
        return arn

    def creator_tags(self, domain_id: str, item: dict) -> list[dict]:
        """The tags Studio puts on what a user creates from a space (whitepaper "Cost attribution")."""
        tags = []
        if item.get("owner") or item.get("space"):
            tags.append(
                {
                    "Key": "sagemaker:domain-arn",
                    "Value": f"arn:aws:sagemaker:{self.region}:{ACCOUNT_ID}:domain/{domain_id}",
                }
            )
        if item.get("owner"):
            tags.append(
                {
                    "Key": "sagemaker:user-profile-arn",
                    "Value": f"arn:aws:sagemaker:{self.region}:{ACCOUNT_ID}:user-profile/{domain_id}/{item['owner']}",
                }
            )
        if item.get("space"):
            tags.append(
                {
                    "Key": "sagemaker:space-arn",
                    "Value": f"arn:aws:sagemaker:{self.region}:{ACCOUNT_ID}:space/{domain_id}/{item['space']}",
                }
            )
        return tags

    def inference_component(self, domain_id: str, c: dict) -> None:
        requirements = {"MinMemoryRequiredInMb": c.get("memory_mb", 1024)}
        if c.get("accelerators"):
            requirements["NumberOfAcceleratorDevicesRequired"] = c["accelerators"]
        else:
            requirements["NumberOfCpuCoresRequired"] = 1
        self.client("sagemaker").create_inference_component(
            InferenceComponentName=c["name"],
            EndpointName=c["endpoint"],
            VariantName="AllTraffic",
            Specification={"ModelName": f"{c['endpoint']}-model", "ComputeResourceRequirements": requirements},
            RuntimeConfig={"CopyCount": c.get("copies", 1)},
            Tags=self.creator_tags(domain_id, c),
        )
        self.control.override(
            "inference_component",
            {"Name": c["name"]},
            {"CreationTime": self.ago(c.get("started_hours_ago")), "InferenceComponentStatus": "InService"},
            self.region,
        )

    def mlflow_app(self, domain_id: str, role_arn: str, a: dict) -> str:
        params = {
            "Name": a["name"],
            "RoleArn": role_arn,
            "ArtifactStoreUri": f"s3://sagemaker-{self.region}-{ACCOUNT_ID}/mlflow-apps/{a['name']}",
            "AccountDefaultStatus": "ENABLED" if a.get("account_default") else "DISABLED",
            "Tags": self.creator_tags(domain_id, a),
        }
        if a.get("domain_default"):
            params["DefaultDomainIdList"] = [domain_id]
        arn = self.client("sagemaker").create_mlflow_app(**params)["Arn"]
        fields = {"CreationTime": self.ago(a.get("started_hours_ago")), "Status": "Created"}
        if a.get("local") and self.links.mlflow_url:
            fields["_url"] = self.links.mlflow_url
        self.control.override("mlflow_app", {"Name": a["name"]}, fields, self.region)
        return arn

    def notebook_job(self, domain_id: str, role_arn: str, j: dict) -> None:
        """A scheduled notebook job as amazon-sagemaker-jupyter-scheduler makes it: a pipeline with one training
        step that runs the notebook, tagged so that the scheduler (and its IAM conditions) recognise it."""
        instance_type = j.get("instance_type", "ml.m5.large")
        definition = {
            "Version": "2020-12-01",
            "Steps": [
                {
                    "Name": "notebook-job",
                    "Type": "Training",
                    "Arguments": {
                        "AlgorithmSpecification": {
                            "TrainingImage": XGBOOST_IMAGE.format(region=self.region),
                            "TrainingInputMode": "File",
                        },
                        "ResourceConfig": {"InstanceType": instance_type, "InstanceCount": 1, "VolumeSizeInGB": 30},
                        "Environment": {"SM_INPUT_NOTEBOOK_NAME": j["notebook"]},
                    },
                }
            ],
        }
        tags = [
            {"Key": "sagemaker:name", "Value": j["name"]},
            {"Key": "sagemaker:notebook-name", "Value": j["notebook"]},
            {"Key": "sagemaker:is-scheduling-notebook-job", "Value": "true"},
            {"Key": "sagemaker:is-studio-archived", "Value": "false"},
        ]
        self.client("sagemaker").create_pipeline(
            PipelineName=j["name"],
            PipelineDefinition=json.dumps(definition),
            RoleArn=role_arn,
            PipelineDescription=f"Scheduled notebook job {j['notebook']} ({j.get('schedule', 'cron(0 6 * * ? *)')})",
            Tags=tags + self.creator_tags(domain_id, j),
        )

    def cost_explorer(self, ce: dict, domain_id: str) -> None:
        """The account's last ``days`` days of billing, as Cost Explorer holds them: each space that has an app
        in the scenario ran that app's instance ``space_hours_per_day`` hours a day (tagged with the space, as
        Studio tags what it creates); notebook instances and endpoints ran around the clock since they started
        (no space tag: they are account resources); other services cost a fixed amount a day. Priced from the
        world's own price table, so a space's spend is its app's hourly price × hours."""
        sm = self.client("sagemaker")
        tables = json.loads(PRICES_FILE.read_text(encoding="utf-8"))["prices"].get(self.region, {})
        prefix = REGIONS.get(self.region, ("", "USE1"))[1]
        items: list[dict] = []

        def daily(days_running: float, amount_per_day: float, **item) -> None:
            for back in range(1, ce["days"] + 1):
                if back <= days_running:
                    day = (self.now - timedelta(days=back)).date().isoformat()
                    items.append(
                        {**item, "date": day, "amount": amount_per_day, "region": self.region, "account": ACCOUNT_ID}
                    )

        domain_arn = sm.describe_domain(DomainId=domain_id)["DomainArn"]
        hours = ce.get("space_hours_per_day", 8)
        for app in self.scenario.section("apps"):
            space = self.scenario.space(app["space"])
            instance = app.get("instance_type", "ml.t3.medium")
            price = tables.get(APP_COMPONENTS.get(space.get("app_type", "JupyterLab"), ""), {}).get(instance)
            if price is None:
                continue  # the world has no price for it: AWS would bill it, but we cannot say how much
            described = sm.describe_space(DomainId=domain_id, SpaceName=app["space"])
            tags = {"sagemaker:domain-arn": domain_arn, "sagemaker:space-arn": described["SpaceArn"]}
            daily(
                ce["days"],
                hours * price,
                service="Amazon SageMaker",
                instance_type=instance,
                hours=hours,
                usage_type=f"{prefix}-Studio:{space.get('app_type', 'JupyterLab')}-{instance}",
                tags=tags,
            )
        for n in self.scenario.section("notebook_instances"):
            price = tables.get("notebook_instance", {}).get(n["instance_type"])
            if price is not None and n.get("status", "InService") == "InService":
                daily(
                    (n.get("started_hours_ago") or 0) / 24,
                    24 * price,
                    service="Amazon SageMaker",
                    hours=24,
                    instance_type=n["instance_type"],
                    usage_type=f"{prefix}-Notebk:{n['instance_type']}",
                )
        for e in self.scenario.section("endpoints"):
            price = tables.get("hosting", {}).get(e["instance_type"])
            if price is not None and e.get("status", "InService") == "InService":
                count = e.get("count", 1)
                daily(
                    (e.get("started_hours_ago") or 0) / 24,
                    24 * price * count,
                    service="Amazon SageMaker",
                    hours=24 * count,
                    instance_type=e["instance_type"],
                    usage_type=f"{prefix}-Host:{e['instance_type']}",
                )
        for service, usd in (ce.get("other_services_daily_usd") or {}).items():
            daily(ce["days"], usd, service=service)
        self.control.add_cost_line_items(items)
        if not ce.get("tag_activated", True):
            self.client("ce").update_cost_allocation_tags_status(
                CostAllocationTagsStatus=[{"TagKey": "sagemaker:space-arn", "Status": "Inactive"}]
            )

    def secret(self, s: dict) -> None:
        token = self.links.repo_tokens.get(s["git_token_for"])
        if token is None:
            return  # the git server runs without tokens: nothing to keep secret
        self.client("secretsmanager").create_secret(
            Name=s["name"], Description=s.get("description", ""), SecretString=token
        )


def _idle_settings(idle: dict | None) -> dict:
    if not idle:
        return {}
    keys = {
        "lifecycle_management": "LifecycleManagement",
        "idle_timeout_minutes": "IdleTimeoutInMinutes",
        "min_idle_timeout_minutes": "MinIdleTimeoutInMinutes",
        "max_idle_timeout_minutes": "MaxIdleTimeoutInMinutes",
    }
    return {keys[k]: v for k, v in idle.items()}
