"""The merge template `make package` adds to Chalice's output (CI also lints the result)."""

import json

from chalicelib.adapters.models import complaint_model, fact_model
from chalicelib.config import get_settings
from scripts.infra import FUNCTIONS, merge_template

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
    from chalice.app import SQSEventConfig

    from app import app
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
