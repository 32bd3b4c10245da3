"""The emulator beyond Studio ops: MLflow tracking servers, pricing, faults, unknown operations, moto's part."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from tests.helpers import wait_until

TRANSITION = 2.0  # seconds a Pending/Stopping/... state lasts in these tests


def _code(err: pytest.ExceptionInfo) -> str:
    return err.value.response["Error"]["Code"]


def test_mlflow_tracking_servers(world):
    # Long enough that the state right after a call is the transition's, whatever the machine's load; the end of
    # a transition is awaited, never slept for.
    world.settings(transition_seconds=TRANSITION)
    sm = world.client("sagemaker")

    def status_after(transition: str) -> dict | None:
        described = sm.describe_mlflow_tracking_server(TrackingServerName="team-mlflow")
        return described if described["TrackingServerStatus"] != transition else None

    summaries = sm.list_mlflow_tracking_servers()["TrackingServerSummaries"]
    assert [(s["TrackingServerName"], s["TrackingServerStatus"], s["IsActive"]) for s in summaries] == [
        ("team-mlflow", "Created", "Active")
    ]
    described = sm.describe_mlflow_tracking_server(TrackingServerName="team-mlflow")
    assert (
        described["TrackingServerArn"] == "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/team-mlflow"
    )
    assert described["TrackingServerSize"] == "Small"
    url = sm.create_presigned_mlflow_tracking_server_url(TrackingServerName="team-mlflow")["AuthorizedUrl"]
    assert url.startswith(described["TrackingServerUrl"].rstrip("/") + "/?authToken=")
    sm.stop_mlflow_tracking_server(TrackingServerName="team-mlflow")
    assert sm.describe_mlflow_tracking_server(TrackingServerName="team-mlflow")["TrackingServerStatus"] == "Stopping"
    stopped = wait_until(lambda: status_after("Stopping"))
    assert (stopped["TrackingServerStatus"], stopped["IsActive"]) == ("Stopped", "Inactive")
    assert sm.list_mlflow_tracking_servers(TrackingServerStatus="Created")["TrackingServerSummaries"] == []
    with pytest.raises(ClientError) as err:  # no UI link for a stopped server
        sm.create_presigned_mlflow_tracking_server_url(TrackingServerName="team-mlflow")
    assert _code(err) == "ValidationException"
    sm.start_mlflow_tracking_server(TrackingServerName="team-mlflow")
    assert sm.describe_mlflow_tracking_server(TrackingServerName="team-mlflow")["TrackingServerStatus"] == "Starting"
    assert wait_until(lambda: status_after("Starting"))["TrackingServerStatus"] == "Started"
    with pytest.raises(ClientError) as err:
        sm.describe_mlflow_tracking_server(TrackingServerName="nope")
    assert _code(err) == "ResourceNotFound"


def test_pricing_get_products_in_price_list_shape(world):
    pricing = world.client("pricing")
    answer = pricing.get_products(
        ServiceCode="AmazonSageMaker",
        Filters=[
            {"Type": "TERM_MATCH", "Field": "productFamily", "Value": "ML Instance"},
            {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
            {"Type": "TERM_MATCH", "Field": "instanceName", "Value": "ml.t3.medium"},
            {"Type": "TERM_MATCH", "Field": "platoinstancetype", "Value": "Studio-JupyterLab"},
        ],
    )
    assert answer["FormatVersion"] == "aws_v1" and len(answer["PriceList"]) == 1
    product = json.loads(answer["PriceList"][0])  # JSON strings, as AWS sends them
    assert product["product"]["attributes"]["usagetype"] == "USE1-Studio:JupyterLab-ml.t3.medium"
    (term,) = product["terms"]["OnDemand"].values()
    (dimension,) = term["priceDimensions"].values()
    assert float(dimension["pricePerUnit"]["USD"]) == 0.05 and dimension["unit"] == "Hrs"
    pages = list(
        pricing.get_paginator("get_products").paginate(
            ServiceCode="AmazonSageMaker",
            Filters=[{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"}],
            PaginationConfig={"PageSize": 20},
        )
    )
    assert len(pages) > 1 and all(len(p["PriceList"]) <= 20 for p in pages)
    values = pricing.get_attribute_values(ServiceCode="AmazonSageMaker", AttributeName="platoinstancetype")
    assert {"Studio-JupyterLab", "Notebook", "Training", "Hosting"} <= {v["Value"] for v in values["AttributeValues"]}
    assert pricing.get_products(ServiceCode="AmazonEC2")["PriceList"] == []


@pytest.mark.parametrize(
    "kind, code, status",
    [
        ("throttle", "ThrottlingException", 400),
        ("access_denied", "AccessDeniedException", 400),
        ("error500", "InternalFailure", 500),
    ],
)
def test_injected_faults(world, kind, code, status):
    sm = world.client("sagemaker")
    world.fault("sagemaker:ListApps", kind, count=2)
    for _ in range(2):
        with pytest.raises(ClientError) as err:
            sm.list_apps(DomainIdEquals=world.domain_id)
        assert _code(err) == code and err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert sm.list_apps(DomainIdEquals=world.domain_id)["Apps"]  # the fault is spent
    sm.list_spaces(DomainIdEquals=world.domain_id)  # other operations never saw it
    assert world.calls() == {"sagemaker:ListApps": 3, "sagemaker:ListSpaces": 1}


def test_fault_on_moto_backed_operations_and_latency(world):
    sm = world.client("sagemaker")
    world.fault("sagemaker:*", "access_denied")
    with pytest.raises(ClientError) as err:
        sm.list_notebook_instances()
    assert _code(err) == "AccessDeniedException"
    assert "sagemaker:ListNotebookInstances" in err.value.response["Error"]["Message"]
    world.clear_faults()
    world.fault("s3:ListBuckets", "latency", latency_ms=300, count=1)
    started = time.monotonic()
    assert world.client("s3").list_buckets()["Buckets"]
    assert time.monotonic() - started >= 0.3


def test_unknown_operations_answer_like_aws(world):
    with pytest.raises(ClientError) as err:  # moto lacks it: never an HTML 500 that botocore would retry
        world.client("sagemaker").list_hub_contents(HubName="public", HubContentType="Model")
    assert _code(err) == "UnknownOperationException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as err:
        world.client("pricing").list_price_lists(
            ServiceCode="AmazonSageMaker", EffectiveDate=time.time(), CurrencyCode="USD"
        )
    assert _code(err) == "UnknownOperationException"
    with pytest.raises(ClientError) as err:  # moto raises NotImplementedError inside a service it knows
        world.client("ce").get_cost_forecast(
            TimePeriod={"Start": "2026-12-01", "End": "2026-12-31"}, Metric="UNBLENDED_COST", Granularity="MONTHLY"
        )
    assert _code(err) == "UnknownOperationException"
    with pytest.raises(ClientError) as err:  # a service moto has no backend for
        world.client("braket").search_devices(filters=[])
    assert _code(err) == "UnknownOperationException"


def test_scenario_resources_moto_serves(world):
    sm = world.client("sagemaker")
    jobs = {j["TrainingJobName"]: j["TrainingJobStatus"] for j in sm.list_training_jobs()["TrainingJobSummaries"]}
    assert sorted(jobs.values()) == ["Completed", "Completed", "Failed", "InProgress"]
    best = sm.describe_training_job(TrainingJobName="churn-xgb-2026-11-24")
    assert best["HyperParameters"]["max_depth"] == "7"
    assert {m["MetricName"]: m["Value"] for m in best["FinalMetricDataList"]}["validation:auc"] == 0.931
    running = sm.describe_training_job(TrainingJobName="churn-xgb-2026-11-26")
    assert "TrainingEndTime" not in running and running["SecondaryStatus"] == "Training"
    notebooks = {
        n["NotebookInstanceName"]: n["NotebookInstanceStatus"]
        for n in sm.list_notebook_instances()["NotebookInstances"]
    }
    assert notebooks == {"legacy-analysis": "InService", "old-experiments": "Stopped"}
    endpoint = sm.describe_endpoint(EndpointName="churn-model-prod")
    config = sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    assert config["ProductionVariants"][0]["InstanceType"] == "ml.m5.large"
    assert [t["TrialName"] for t in sm.list_trials(ExperimentName="churn-experiments")["TrialSummaries"]]
    secret = world.client("secretsmanager").get_secret_value(SecretId="studio-collab/git/feature-store")
    assert secret["SecretString"] == world.git_token
    assert world.client("s3").head_bucket(Bucket="studio-collab-shares-123456789012")
    cost = world.client("ce").get_cost_and_usage(
        TimePeriod={"Start": "2026-10-01", "End": "2026-11-01"}, Granularity="DAILY", Metrics=["UnblendedCost"]
    )
    assert len(cost["ResultsByTime"]) == 31  # one per day of October (tests/world_tests/test_cost_explorer.py: figures)
    domain = sm.describe_domain(DomainId=world.domain_id)
    vpc = world.client("ec2").describe_vpcs(VpcIds=[domain["VpcId"]])["Vpcs"][0]
    assert vpc["IsDefault"] and domain["AuthMode"] == "IAM" and "KmsKeyId" not in domain


def test_list_training_jobs_filters_before_paging_and_sorts(world):
    sm = world.client("sagemaker")
    newest = sm.list_training_jobs(SortBy="CreationTime", SortOrder="Descending", MaxResults=2)
    assert [j["TrainingJobName"] for j in newest["TrainingJobSummaries"]] == [
        "churn-xgb-2026-11-26",
        "churn-xgb-2026-11-25",
    ]
    pages = list(
        sm.get_paginator("list_training_jobs").paginate(StatusEquals="Completed", PaginationConfig={"PageSize": 1})
    )
    assert [len(p["TrainingJobSummaries"]) for p in pages] == [1, 1]
    assert (
        sm.list_training_jobs(NameContains="11-2", StatusEquals="Failed")["TrainingJobSummaries"][0]["TrainingJobName"]
        == "churn-xgb-2026-11-25"
    )
    recent = sm.list_training_jobs(CreationTimeAfter=time.time() - 24 * 3600)["TrainingJobSummaries"]
    assert {j["TrainingJobName"] for j in recent} == {"churn-xgb-2026-11-25", "churn-xgb-2026-11-26"}


def test_control_endpoint_rejects_bad_fault(world):
    with pytest.raises(RuntimeError, match="fault must be one of"):
        world.fault("sagemaker:ListApps", "explode")
    with pytest.raises(RuntimeError, match="operation must look like"):
        world.fault("ListApps", "throttle")


def test_search_pages_like_aws_and_agrees_with_list(world):
    sm = world.client("sagemaker")
    listed = {
        j["TrainingJobName"]
        for page in sm.get_paginator("list_training_jobs").paginate(StatusEquals="Completed")
        for j in page["TrainingJobSummaries"]
    }
    expression = {"Filters": [{"Name": "TrainingJobStatus", "Operator": "Equals", "Value": "Completed"}]}
    pages = list(
        sm.get_paginator("search").paginate(
            Resource="TrainingJob", SearchExpression=expression, PaginationConfig={"PageSize": 1}
        )
    )
    assert len(listed) > 1 and len(pages) == len(listed), "one result a page, every match once"
    found = [r["TrainingJob"] for p in pages for r in p["Results"]]
    assert {j["TrainingJobName"] for j in found} == listed
    assert all(j["TrainingJobStatus"] == "Completed" and j["CreationTime"].tzinfo for j in found)
    # an expression beyond top-level fields goes to moto's own Search, and is still paged
    nested = {"Filters": [{"Name": "Tags.team", "Operator": "Equals", "Value": "nobody-has-this"}]}
    assert sm.search(Resource="TrainingJob", SearchExpression=nested)["Results"] == []
    with pytest.raises(ClientError) as err:
        sm.search(
            Resource="TrainingJob", SearchExpression={"Filters": [{"Name": "NoSuchField", "Value": "x"}]}, MaxResults=5
        )
    assert _code(err) == "ValidationException"


def test_journal_keeps_each_call_with_its_parameters(world):
    world.clear_calls()
    world.client("sagemaker").list_apps(DomainIdEquals="d-nothing", MaxResults=5)
    world.client("s3").list_buckets()
    journal = world.control.journal()
    assert {"operation": "sagemaker:ListApps", "params": {"DomainIdEquals": "d-nothing", "MaxResults": 5}} in journal
    assert {"operation": "s3:ListBuckets", "params": None} in journal  # not JSON: counted, not replayable
