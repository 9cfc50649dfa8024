"""The merge template `make package` adds to Chalice's output (CI also lints the result)."""

import json
from typing import Any

from chalice.app import EventSourceHandler, SQSEventConfig

from app import app
from chalicelib.adapters.models import complaint_model, fact_model
from chalicelib.config import get_settings
from chalicelib.observability import METRICS, NAMESPACE, SERVICE, MetricBuffer
from scripts.infra import FUNCTION_NAMES, FUNCTIONS, QUEUE_EVENTS, merge_template
from tests.conftest import ROOT

TEMPLATE = merge_template("prod")
RESOURCES = TEMPLATE["Resources"]


def test_tables_come_from_the_models_with_recovery_encryption_and_ttl() -> None:
    settings = get_settings(
        {
            "STAGE": "prod",
            "AUTH_JWT_SECRET": "x",
            "COMPLAINT_EVENTS_TOPIC_ARN": "x",
            "SWEEP_QUEUE_URL": "x",
        }
    )
    for logical, model in (
        ("ComplaintsTable", complaint_model(settings)),
        ("FactsTable", fact_model(settings)),
    ):
        table = RESOURCES[logical]["Properties"]
        assert table["TableName"] == model.Meta.table_name
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert table["SSESpecification"] == {"SSEEnabled": True}
        assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
        assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == set(model._indexes)
    assert RESOURCES["ComplaintsTable"]["Properties"]["TableName"] == (
        "seller-report-center-prod-complaints"
    )


def test_queues_have_dead_letter_queues_and_consumers_report_batch_failures() -> None:
    for queue in ("FactsQueue", "SweepQueue"):
        redrive = RESOURCES[queue]["Properties"]["RedrivePolicy"]
        assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [f"{queue}DeadLetters", "Arn"]}
    for function in ("OnFactMessages", "SlaSweepWorker"):
        (event,) = RESOURCES[function]["Properties"]["Events"].values()
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_every_function_is_wired_to_the_real_resources() -> None:
    for function in FUNCTIONS:
        variables = RESOURCES[function]["Properties"]["Environment"]["Variables"]
        assert variables["COMPLAINTS_TABLE"] == {"Ref": "ComplaintsTable"}
        assert variables["FACTS_TABLE"] == {"Ref": "FactsTable"}
        assert variables["COMPLAINT_EVENTS_TOPIC_ARN"] == {"Ref": "ComplaintEventsTopic"}
        assert variables["AUTH_JWT_KEY"] == {"Ref": "AuthJwtKey"}  # a public key, if any


def test_api_is_throttled_and_gateway_errors_carry_cors_headers() -> None:
    api = RESOURCES["RestAPI"]["Properties"]
    assert api["MethodSettings"][0]["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        headers = api["GatewayResponses"][kind]["ResponseParameters"]["Headers"]
        assert "Access-Control-Allow-Origin" in headers


def test_gateway_responses_use_the_error_shape_and_never_echo_a_credential() -> None:
    """Issue 12.12: an unknown path is API Gateway's MISSING_AUTHENTICATION_TOKEN, whose
    own message quotes the caller's Authorization header."""
    responses = RESOURCES["RestAPI"]["Properties"]["GatewayResponses"]
    assert {"MISSING_AUTHENTICATION_TOKEN", "DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    for kind, response in responses.items():
        template = response["ResponseTemplates"]["application/json"]
        assert "$context.error" not in template, kind  # no message API Gateway wrote
        body = json.loads(template)
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
        assert body["error"]["details"] == {"request_id": "$context.requestId"}


def test_alarms_watch_sla_breaches_dead_letters_and_overdue_exemptions() -> None:
    alarms = {
        k: v["Properties"]
        for k, v in RESOURCES.items()
        if v.get("Type") == "AWS::CloudWatch::Alarm"
    }
    watched = {a["MetricName"] for a in alarms.values()}
    assert watched == {"SlaBreaches", "ExemptionsOverdue", "ApproximateNumberOfMessagesVisible"}
    assert all(
        a["Threshold"] == 0 and a["ComparisonOperator"] == "GreaterThanThreshold"
        for a in alarms.values()
    )


def test_the_files_bucket_is_private_encrypted_tls_only_with_lifecycle_and_cors() -> None:
    bucket = RESOURCES["FilesBucket"]["Properties"]
    assert bucket["BucketName"] == "seller-report-center-prod-files"
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["unverified-uploads"]["TagFilters"] == [{"Key": "upload", "Value": "pending"}]
    assert rules["unverified-uploads"]["ExpirationInDays"] == 1
    assert rules["attachments-retention"]["Prefix"] == "attachments/"
    assert rules["attachments-retention"]["ExpirationInDays"] == 730  # RETENTION_DAYS
    assert (rules["exports"]["Prefix"], rules["exports"]["ExpirationInDays"]) == ("exports/", 1)
    (cors,) = bucket["CorsConfiguration"]["CorsRules"]
    assert cors["AllowedOrigins"] == [{"Ref": "CorsAllowOrigin"}]
    assert set(cors["AllowedMethods"]) == {"GET", "POST"}
    (tls,) = RESOURCES["FilesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (tls["Effect"], tls["Action"]) == ("Deny", "s3:*")
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for function in FUNCTIONS:
        variables = RESOURCES[function]["Properties"]["Environment"]["Variables"]
        assert variables["FILES_BUCKET"] == {"Ref": "FilesBucket"}


def _index(table: str, name: str) -> tuple[dict[str, str], dict[str, object]]:
    properties = RESOURCES[table]["Properties"]
    (index,) = [i for i in properties["GlobalSecondaryIndexes"] if i["IndexName"] == name]
    keys = {k["AttributeName"]: k["KeyType"] for k in index["KeySchema"]}
    for attribute in keys:
        assert {"AttributeName": attribute, "AttributeType": "S"} in properties[
            "AttributeDefinitions"
        ]
    return keys, index["Projection"]


def test_the_filtered_lists_indexes_hold_keys_only() -> None:
    """Only the writes that store a complaint or change its status move their entries."""
    assert _index("ComplaintsTable", "by_seller_status") == (
        {"seller_status": "HASH", "list_key": "RANGE"},
        {"ProjectionType": "KEYS_ONLY"},
    )
    assert _index("ComplaintsTable", "by_seller_scenario") == (
        {"seller_scenario": "HASH", "list_key": "RANGE"},
        {"ProjectionType": "KEYS_ONLY"},
    )


def test_the_exemption_log_index_is_sparse_and_copies_only_the_entries() -> None:
    assert _index("FactsTable", "exemption_log") == (
        {"log_seller": "HASH", "log_key": "RANGE"},  # set on exemption log items only
        {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["data"]},
    )


def test_the_sellers_order_index_is_sparse_and_projects_only_what_the_list_shows() -> None:
    table = RESOURCES["FactsTable"]["Properties"]
    (index,) = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "seller_orders"]
    assert {k["AttributeName"]: k["KeyType"] for k in index["KeySchema"]} == {
        "seller_key": "HASH",
        "order_key": "RANGE",  # set on order items only: the index holds nothing else
    }
    assert index["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["buyer_key", "order_status"],
    }
    assert {"AttributeName": "order_key", "AttributeType": "S"} in table["AttributeDefinitions"]


def test_the_sweep_queue_and_its_workers_are_wired_for_the_stated_bound() -> None:
    """Issue 16 (README: "The SLA under a burst"): every function knows the sweep queue;
    its workers take 10 messages (100 complaints) an invocation, well within their time
    limit, and run 50 at once — enough for every complaint the API's rate limit admits;
    the queue hides a message longer than a worker may take on it."""
    from chalicelib.domain.sweep_work import IDS_PER_MESSAGE
    from chalicelib.jobs.sla_sweep import SWEEP_QUEUE, WORKER_BATCH_SIZE, WORKER_CONCURRENCY
    from scripts.local import _config
    from tests.sweep_simulation import MS_PER_REQUEST, REQUESTS_PER_COMPLAINT, capacity_per_minute

    for function in FUNCTIONS:
        variables = RESOURCES[function]["Properties"]["Environment"]["Variables"]
        assert variables["SWEEP_QUEUE_URL"] == {"Ref": "SweepQueue"}
    (worker,) = [
        s for s in app.event_sources if isinstance(s, SQSEventConfig) and s.queue == SWEEP_QUEUE
    ]
    assert (worker.name, worker.batch_size) == ("sla_sweep_worker", WORKER_BATCH_SIZE)
    assert worker.maximum_concurrency == WORKER_CONCURRENCY == 50
    timeout = _config("prod").scope("prod", "sla_sweep_worker").lambda_timeout
    per_invocation_ms = (
        WORKER_BATCH_SIZE * IDS_PER_MESSAGE * REQUESTS_PER_COMPLAINT * MS_PER_REQUEST
    )
    assert per_invocation_ms < timeout * 1000 / 2  # 24 s of 60 s
    assert RESOURCES["SweepQueue"]["Properties"]["VisibilityTimeout"] >= 6 * timeout
    api_rate_per_minute = TEMPLATE["Parameters"]["ApiRateLimit"]["Default"] * 60
    assert capacity_per_minute() >= api_rate_per_minute  # 12,500 >= 12,000


#: The properties that hold a resource's physical name, by resource type.
NAME_PROPERTIES = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CloudWatch::Dashboard": "DashboardName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SSM::Parameter": "Name",
    "AWS::SecretsManager::Secret": "Name",
}


def _physical_names(template: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Logical id -> (kind, physical name) of every named resource of a merge template
    (the functions, and the log groups Chalice adds, are typed by ``chalice package``)."""
    names = {}
    for logical, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if logical in FUNCTIONS:
            names[logical] = ("function", properties["FunctionName"])
        elif logical.endswith("LogGroup") and "Type" not in resource:
            names[logical] = ("AWS::Logs::LogGroup", properties["LogGroupName"])
        elif resource.get("Type") in NAME_PROPERTIES:
            names[logical] = (resource["Type"], properties[NAME_PROPERTIES[resource["Type"]]])
    return names


def test_two_stages_deploy_side_by_side_in_one_account() -> None:
    """Every named resource of one stage is named differently in the other: same kinds,
    no physical name shared, each carries its stage."""
    stages = {stage: _physical_names(merge_template(stage)) for stage in ("prod", "staging")}
    prod, staging = stages["prod"], stages["staging"]
    assert prod.keys() == staging.keys()
    assert len(prod) >= 25  # tables, queues, topics, bucket, alarms, dashboard, functions, logs
    for stage, names in stages.items():
        for logical, (_kind, name) in names.items():
            assert isinstance(name, str), (logical, name)  # no name left to CloudFormation
            assert f"seller-report-center-{stage}-" in name, (logical, name)
    assert not set(prod.values()) & set(staging.values())
    assert len(set(prod.values())) == len(prod)  # nor within a stage


def test_queue_consumers_read_their_stages_queues() -> None:
    for function, (event, queue) in QUEUE_EVENTS.items():
        source = RESOURCES[function]["Properties"]["Events"][event]["Properties"]["Queue"]
        name = RESOURCES[queue]["Properties"]["QueueName"]
        assert source == {
            "Fn::Sub": f"arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{name}"
        }
        variables = RESOURCES[function]["Properties"]["Environment"]["Variables"]
        assert queue in RESOURCES[function]["DependsOn"] or {"Ref": queue} in variables.values()
    assert RESOURCES["FactsQueue"]["Properties"]["QueueName"] == "seller-report-center-prod-facts"


def test_queue_and_schedule_functions_enter_through_app_py_and_its_middleware() -> None:
    """Chalice's handler string for a blueprint's function names the blueprint's module;
    Lambda would import it without app.py and run the function without the middleware
    that writes its logs' correlation id and flushes its metrics."""
    import app as app_module

    for function, name in FUNCTION_NAMES.items():
        if function == "APIHandler":
            continue
        module, attribute = RESOURCES[function]["Properties"]["Handler"].rsplit(".", 1)
        assert (module, attribute) == ("app", name)
        handler = getattr(app_module, attribute)
        assert isinstance(handler, EventSourceHandler) and handler.func.__name__ == name


def _function_config(name: str, stage: str = "prod") -> Any:
    from scripts.local import _config

    return _config(stage).scope(stage, name)


def test_functions_are_traced_keep_logs_90_days_and_the_consumers_reserve_their_concurrency() -> (
    None
):
    from chalicelib.jobs.facts_queue import FACTS_CONCURRENCY
    from chalicelib.jobs.sla_sweep import WORKER_CONCURRENCY

    for stage in ("dev", "prod"):
        for name in FUNCTION_NAMES.values():
            config = _function_config(name, stage)
            assert config.xray_enabled is True
            assert config.log_retention_in_days == 90
    # SQS's pollers never exceed the event source's maximum concurrency; what is reserved
    # must cover it, or throttled deliveries count as receives and dead-letter messages.
    consumers = {
        "on_fact_messages": FACTS_CONCURRENCY,
        "sla_sweep_worker": WORKER_CONCURRENCY,
    }
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig):
            assert source.maximum_concurrency == consumers[source.name]
            assert _function_config(source.name).reserved_concurrency >= consumers[source.name]
    for name in ("api_handler", "sla_sweep", "exemption_job"):
        assert _function_config(name).reserved_concurrency is None
    assert RESOURCES["RestAPI"]["Properties"]["TracingEnabled"] is True
    assert RESOURCES["ApiAccessLogs"]["Properties"]["RetentionInDays"] == 365
    for function in FUNCTIONS:
        (log_group,) = [d for d in RESOURCES[function]["DependsOn"] if d.endswith("LogGroup")]
        assert RESOURCES[log_group]["Properties"]["LogGroupName"] == (
            f"/aws/lambda/{RESOURCES[function]['Properties']['FunctionName']}"
        )


def _dashboard_metrics() -> list[list[Any]]:
    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(body)["widgets"]
    assert all(
        w["properties"]["region"] == "${AWS::Region}" for w in widgets if w["type"] == "metric"
    )
    return [m for w in widgets if w["type"] == "metric" for m in w["properties"]["metrics"]]


def test_the_dashboard_shows_only_metrics_the_code_emits_under_their_namespace_and_dimension() -> (
    None
):
    """Each app metric on the dashboard is (namespace, name, dimensions) as the EMF
    documents the code writes declare it; each queue metric names one of the stage's
    queues."""
    emitted = MetricBuffer(NAMESPACE, enabled=True)
    for name, unit in METRICS.items():
        emitted.add(name, 1, unit)
    declared = set()
    for document in emitted.documents(timestamp_ms=0):
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]:
            for dimensions in directive["Dimensions"]:
                pairs = tuple(x for d in dimensions for x in (d, document[d]))
                declared.add((directive["Namespace"], metric["Name"], pairs))
    queues = {
        r["Properties"]["QueueName"]
        for r in RESOURCES.values()
        if r.get("Type") == "AWS::SQS::Queue"
    }
    shown: dict[str, set[str]] = {}
    for metric in _dashboard_metrics():
        *identity, _options = metric
        namespace, name, *dimensions = identity
        if namespace == "AWS/SQS":
            assert dimensions[0] == "QueueName" and dimensions[1] in queues, metric
        else:
            assert (namespace, name, tuple(dimensions)) in declared, metric
        shown.setdefault(namespace, set()).add(name)
    assert shown[NAMESPACE] >= {
        "SlaBreaches",
        "Escalations",
        "TimeToDecision",
        "DecisionsWithinSla",
        "ExemptionLag",
        "ExemptionsOverdue",
    }
    assert shown["AWS/SQS"] == {
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
    }
    shown_queues = {m[3] for m in _dashboard_metrics() if m[0] == "AWS/SQS"}
    assert shown_queues == queues  # both queues and both dead-letter queues


def test_the_alarms_watch_metrics_the_code_emits() -> None:
    for resource in RESOURCES.values():
        if resource.get("Type") == "AWS::CloudWatch::Alarm":
            alarm = resource["Properties"]
            if alarm["Namespace"] == NAMESPACE:
                assert alarm["MetricName"] in METRICS
                assert alarm["Dimensions"] == [{"Name": "service", "Value": SERVICE}]


def test_each_functions_memory_is_the_size_the_last_measurement_chose() -> None:
    """`make bench` (section 8, bench/memory.py) chooses; .chalice/config.json holds the
    choice, and the time limits the design sets."""
    measured = json.loads((ROOT / "bench" / "results.json").read_text())["memory"]["functions"]
    assert set(measured) == set(FUNCTION_NAMES.values())
    for stage in ("dev", "prod"):
        for name in FUNCTION_NAMES.values():
            assert (
                _function_config(name, stage).lambda_memory_size == (measured[name]["chosen_mb"])
            ), name
    timeouts = {name: _function_config(name).lambda_timeout for name in FUNCTION_NAMES.values()}
    assert timeouts == {
        "api_handler": 29,  # API Gateway stops waiting at 29 s
        "on_fact_messages": 60,
        "sla_sweep": 300,  # stops early by the time left (services/sweep.py)
        "sla_sweep_worker": 60,  # the burst bound's (test above)
        "exemption_job": 300,  # stops early by the time left (services/exemptions.py)
    }
    # the queues hide a message for longer than their consumers may take on it
    for function, (_event, queue) in QUEUE_EVENTS.items():
        timeout = timeouts[FUNCTION_NAMES[function]]
        assert RESOURCES[queue]["Properties"]["VisibilityTimeout"] >= 6 * timeout


#: Variables that would carry a secret's value (the app reads each; none may be set)
SECRET_VALUES = ("AUTH_JWT_SECRET", "CURSOR_SECRET")


def test_no_function_environment_carries_a_secret_only_the_parameters_names() -> None:
    """Issue 17: the HS256 secret and the cursor key are SSM SecureString parameters the
    deployer creates; the functions get their names, under the stage's path — the only
    one the stage's role may read."""
    import json as json_module
    import re

    from scripts.infra import secret_path
    from tests.conftest import ROOT

    parameters = TEMPLATE["Parameters"]
    for function in FUNCTIONS:
        variables = RESOURCES[function]["Properties"]["Environment"]["Variables"]
        assert not set(SECRET_VALUES) & set(variables), function
        assert variables["CURSOR_SECRET_PARAMETER"] == {"Ref": "CursorSecretParameter"}
        assert variables["AUTH_JWT_SECRET_PARAMETER"] == {"Ref": "AuthJwtSecretParameter"}
        assert variables["AUTH_JWKS_URL"] == {"Ref": "AuthJwksUrl"}
        for value in variables.values():  # only references and plain configuration
            assert isinstance(value, dict) or "secret" not in str(value).lower()
    assert secret_path("prod") == "/seller-report-center/prod/"
    for name in ("CursorSecretParameter", "AuthJwtSecretParameter"):
        pattern = parameters[name]["AllowedPattern"]
        assert re.fullmatch(pattern, "/seller-report-center/prod/a-secret"), name
        for outside in ("/seller-report-center/dev/a-secret", "/other/a", "plain-value"):
            assert not re.fullmatch(pattern, outside), (name, outside)
        assert "NoEcho" not in parameters[name]  # a name, shown freely
    assert parameters["CursorSecretParameter"]["Default"] == (
        "/seller-report-center/prod/cursor-secret"
    )
    policy = json_module.loads((ROOT / ".chalice" / "policy-prod.json").read_text())
    (secrets,) = [s for s in policy["Statement"] if s["Sid"] == "Secrets"]
    assert secrets["Action"] == ["ssm:GetParameter"]
    assert secrets["Resource"] == f"arn:aws:ssm:*:*:parameter{secret_path('prod')}*"


def test_an_hs256_secret_cannot_be_passed_as_a_value() -> None:
    """The template's rules: HS256 needs the secret's parameter and an empty AuthJwtKey;
    RS256/ES256 need a JWKS URL or a public key, and no secret parameter."""
    hmac, public = (
        TEMPLATE["Rules"]["HmacSecretFromParameter"],
        TEMPLATE["Rules"]["PublicKeyConfigured"],
    )
    assert hmac["RuleCondition"] == {"Fn::Equals": [{"Ref": "AuthJwtAlgorithm"}, "HS256"]}
    asserted = [a["Assert"] for a in hmac["Assertions"]]
    assert {"Fn::Equals": [{"Ref": "AuthJwtKey"}, ""]} in asserted
    assert public["RuleCondition"] == {"Fn::Not": [hmac["RuleCondition"]]}
    assert {"Fn::Equals": [{"Ref": "AuthJwtSecretParameter"}, ""]} in [
        a["Assert"] for a in public["Assertions"]
    ]
