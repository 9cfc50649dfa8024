"""Build the CloudFormation merge template for ``chalice package`` (``make package``).

Chalice packages the functions, their roles (from ``.chalice/policy-<stage>.json``), the
API and the event sources; this adds everything else the app needs, and wires it in:

* the DynamoDB tables — generated from the app's own PynamoDB models, so the deployed
  keys and indexes are the ones the code uses — with point-in-time recovery, encryption,
  deletion protection and the ``expires_at`` TTL attribute;
* the SQS queues with dead-letter queues, and ``ReportBatchItemFailures`` on the queue
  event sources (Chalice cannot set it);
* the SNS topics (complaint events; alarms), and CloudWatch alarms on SLA breaches,
  dead-letter queue depth and overdue exemptions;
* API Gateway stage throttling, and gateway responses (unknown route, throttling, 4XX,
  5XX, ...) in the app's error shape, with CORS headers (``scripts.gateway_responses``);
* the private files bucket (evidence files under ``attachments/``, exports under
  ``exports/``): encrypted, public access blocked, TLS only, versioning off, CORS for the
  pages' origin only, lifecycle rules (uploads never verified gone after a day, verified
  files kept as long as complaints, exports after a day);
* every function's environment wired to the real resource names, and to the *names* of
  the secrets (SSM SecureString parameters the deployer creates — CloudFormation cannot
  create a SecureString — under ``/seller-report-center/<stage>/``, the only path the
  stage's role may read): never a secret value (``secret_parameters``); its name, and its
  entry point (``app.<function>``, see ``app.py``);
* the operations dashboard (``scripts.dashboard``).

Every physical name is ``seller-report-center-<stage>-...`` (``physical_name``), so two
stages deploy side by side into one account.  Memory, timeout, X-Ray tracing, log
retention and the queue consumers' reserved concurrency are Chalice settings in
``.chalice/config.json``, which ``chalice package`` turns into the functions' properties
and their ``/aws/lambda/<name>`` log groups.

Usage: ``python -m scripts.infra <stage> <output.json>``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from chalicelib.adapters.models import complaint_model, fact_model
from chalicelib.config import get_settings
from chalicelib.observability import NAMESPACE, SERVICE
from scripts.dashboard import dashboard
from scripts.gateway_responses import GATEWAY_RESPONSES, body_template
from scripts.names import dead_letters, physical_name

ROOT = Path(__file__).resolve().parent.parent
APP = SERVICE  # the service dimension of every metric, so the alarms find them
#: Chalice's resource names for the functions it packages -> their names in the app
#: (``.chalice/config.json``'s ``lambda_functions``).
FUNCTION_NAMES = {
    "APIHandler": "api_handler",
    "OnFactMessages": "on_fact_messages",
    "SlaSweep": "sla_sweep",
    "SlaSweepWorker": "sla_sweep_worker",
    "ExemptionJob": "exemption_job",
}
FUNCTIONS = tuple(FUNCTION_NAMES)
#: The queue consumers' event sources and their queues.
QUEUE_EVENTS = {
    "OnFactMessages": ("OnFactMessagesSqsEventSource", "FactsQueue"),
    "SlaSweepWorker": ("SlaSweepWorkerSqsEventSource", "SweepQueue"),
}
MAX_RECEIVES = 5


def secret_path(stage: str) -> str:
    """Where a stage's SSM parameters live: the role reads nothing else
    (``.chalice/policy-<stage>.json``, statement ``Secrets``)."""
    return f"/{APP}/{stage}/"


def secret_parameters(stage: str) -> dict[str, Any]:
    """Template parameters naming the secrets and the token key (not holding secrets)."""
    path = secret_path(stage)
    return {
        "CursorSecretParameter": {
            "Type": "String",
            "Default": f"{path}cursor-secret",
            "AllowedPattern": f"^{path}[A-Za-z0-9_.-]+$",
            "Description": "SSM SecureString parameter holding the paging cursors' HMAC key "
            "(32+ random characters); create it before deploying",
        },
        "AuthJwtSecretParameter": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": f"^({path}[A-Za-z0-9_.-]+)?$",
            "Description": "HS256 only: SSM SecureString parameter holding the token secret",
        },
        "AuthJwksUrl": {
            "Type": "String",
            "Default": "",
            "AllowedPattern": "^(https://.+)?$",
            "Description": "RS256/ES256: the identity provider's JWKS URL (keys by kid)",
        },
        "AuthJwtKey": {
            "Type": "String",
            "Default": "",
            "Description": "RS256/ES256 without a JWKS URL: the PEM public key (not a secret)",
        },
        "AuthJwtAlgorithm": {
            "Type": "String",
            "Default": "HS256",
            "AllowedValues": ["HS256", "RS256", "ES256", "RS256,ES256"],
        },
    }


#: Template rules: an HS256 secret only ever comes from its parameter, never as a value.
SECRET_RULES = {
    "HmacSecretFromParameter": {
        "RuleCondition": {"Fn::Equals": [{"Ref": "AuthJwtAlgorithm"}, "HS256"]},
        "Assertions": [
            {
                "Assert": {"Fn::Equals": [{"Ref": "AuthJwtKey"}, ""]},
                "AssertDescription": "HS256: the secret is read from AuthJwtSecretParameter, "
                "never passed as AuthJwtKey",
            },
            {
                "Assert": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AuthJwtSecretParameter"}, ""]}]},
                "AssertDescription": "HS256 needs AuthJwtSecretParameter",
            },
        ],
    },
    "PublicKeyConfigured": {
        "RuleCondition": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AuthJwtAlgorithm"}, "HS256"]}]},
        "Assertions": [
            {
                "Assert": {"Fn::Equals": [{"Ref": "AuthJwtSecretParameter"}, ""]},
                "AssertDescription": "RS256/ES256 verify with a public key, not a secret",
            },
            {
                "Assert": {
                    "Fn::Not": [
                        {
                            "Fn::And": [
                                {"Fn::Equals": [{"Ref": "AuthJwtKey"}, ""]},
                                {"Fn::Equals": [{"Ref": "AuthJwksUrl"}, ""]},
                            ]
                        }
                    ]
                },
                "AssertDescription": "RS256/ES256 need AuthJwksUrl or AuthJwtKey",
            },
        ],
    },
}


def _table(model: Any, logical_name: str) -> dict[str, Any]:
    schema = model._get_schema()
    indexes = [
        {
            "IndexName": index["index_name"],
            "KeySchema": index["key_schema"],
            "Projection": index["projection"],
        }
        for index in schema.get("global_secondary_indexes", [])
    ]
    properties: dict[str, Any] = {
        "TableName": model.Meta.table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": schema["attribute_definitions"],
        "KeySchema": schema["key_schema"],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
        "DeletionProtectionEnabled": True,
    }
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    return {
        logical_name: {
            "Type": "AWS::DynamoDB::Table",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": properties,
        }
    }


def _queue(logical: str, name: str, visibility: int) -> dict[str, Any]:
    return {
        f"{logical}DeadLetters": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": dead_letters(name),
                "MessageRetentionPeriod": 1_209_600,
                "SqsManagedSseEnabled": True,
            },
        },
        logical: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": name,
                "VisibilityTimeout": visibility,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [f"{logical}DeadLetters", "Arn"]},
                    "maxReceiveCount": MAX_RECEIVES,
                },
            },
        },
    }


def _log_group(function: str) -> str:
    """The logical name Chalice gives a function's log group."""
    return "".join(part.capitalize() for part in function.split("_")) + "LogGroup"


def _alarm(name: str, description: str, metric: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": name,
            "AlarmDescription": description,
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
            "EvaluationPeriods": 1,
            "Period": 300,
            "Statistic": "Maximum",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
            **metric,
        },
    }


def _app_metric(name: str) -> dict[str, Any]:
    return {
        "Namespace": NAMESPACE,
        "MetricName": name,
        "Dimensions": [{"Name": "service", "Value": APP}],
    }


def _queue_depth(queue: str) -> dict[str, Any]:
    return {
        "Namespace": "AWS/SQS",
        "MetricName": "ApproximateNumberOfMessagesVisible",
        "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}],
    }


#: Days an export (``exports/``) and an upload never verified (tagged ``upload=pending``)
#: are kept.
SHORT_LIVED_DAYS = 1


def _files_bucket(name: str, retention_days: int) -> dict[str, Any]:
    """The private bucket behind the attachments' presigned URLs (and the exports)."""
    return {
        "FilesBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": name,
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}
                    ]
                },
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Suspended"},
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "unverified-uploads",
                            "Status": "Enabled",
                            "Prefix": "attachments/",
                            "TagFilters": [{"Key": "upload", "Value": "pending"}],
                            "ExpirationInDays": SHORT_LIVED_DAYS,
                        },
                        {
                            "Id": "attachments-retention",
                            "Status": "Enabled",
                            "Prefix": "attachments/",
                            "ExpirationInDays": retention_days,
                        },
                        {
                            "Id": "exports",
                            "Status": "Enabled",
                            "Prefix": "exports/",
                            "ExpirationInDays": SHORT_LIVED_DAYS,
                        },
                        {
                            "Id": "incomplete-multipart",
                            "Status": "Enabled",
                            "AbortIncompleteMultipartUpload": {
                                "DaysAfterInitiation": SHORT_LIVED_DAYS
                            },
                        },
                    ]
                },
                "CorsConfiguration": {
                    "CorsRules": [
                        {
                            "AllowedOrigins": [{"Ref": "CorsAllowOrigin"}],
                            "AllowedMethods": ["GET", "POST"],
                            "AllowedHeaders": ["*"],
                            "MaxAge": 600,
                        }
                    ]
                },
            },
        },
        "FilesBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "FilesBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [
                                {"Fn::GetAtt": ["FilesBucket", "Arn"]},
                                {"Fn::Sub": "${FilesBucket.Arn}/*"},
                            ],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                },
            },
        },
    }


def merge_template(stage: str) -> dict[str, Any]:
    settings = get_settings(
        {
            "STAGE": stage,
            "AUTH_JWT_SECRET": "unused-at-build-time",
            "COMPLAINT_EVENTS_TOPIC_ARN": "unused-at-build-time",
            "SWEEP_QUEUE_URL": "unused-at-build-time",
        }
    )
    environment = {
        "STAGE": stage,
        "COMPLAINTS_TABLE": {"Ref": "ComplaintsTable"},
        "FACTS_TABLE": {"Ref": "FactsTable"},
        "COMPLAINT_EVENTS_TOPIC_ARN": {"Ref": "ComplaintEventsTopic"},
        "SWEEP_QUEUE_URL": {"Ref": "SweepQueue"},
        "AUTH_JWT_KEY": {"Ref": "AuthJwtKey"},
        "AUTH_JWT_ALGORITHM": {"Ref": "AuthJwtAlgorithm"},
        "AUTH_JWT_SECRET_PARAMETER": {"Ref": "AuthJwtSecretParameter"},
        "AUTH_JWKS_URL": {"Ref": "AuthJwksUrl"},
        "CURSOR_SECRET_PARAMETER": {"Ref": "CursorSecretParameter"},
        "FILES_BUCKET": {"Ref": "FilesBucket"},
        "METRICS_NAMESPACE": NAMESPACE,
        "AWS_RETRY_MODE": "standard",
    }
    resources: dict[str, Any] = {
        **_table(complaint_model(settings), "ComplaintsTable"),
        **_table(fact_model(settings), "FactsTable"),
        **_files_bucket(settings.files_bucket, settings.retention_days),
        **_queue("FactsQueue", physical_name(stage, "facts"), visibility=360),
        **_queue("SweepQueue", physical_name(stage, "sweep"), visibility=360),
        "ComplaintEventsTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": physical_name(stage, "complaint-events"),
                "KmsMasterKeyId": "alias/aws/sns",
            },
        },
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {
                "TopicName": physical_name(stage, "alarms"),
                "KmsMasterKeyId": "alias/aws/sns",
            },
        },
        "SlaBreachAlarm": _alarm(
            physical_name(stage, "sla-breaches"),
            "A complaint went past its 48 h deadline.",
            _app_metric("SlaBreaches"),
        ),
        "ExemptionOverdueAlarm": _alarm(
            physical_name(stage, "exemptions-overdue"),
            "An upheld complaint's exemption is unapplied 48 h on.",
            _app_metric("ExemptionsOverdue"),
        ),
        "FactsDeadLetterAlarm": _alarm(
            physical_name(stage, "facts-dlq"),
            "Fact events reached the dead-letter queue.",
            _queue_depth("FactsQueueDeadLetters"),
        ),
        "SweepDeadLetterAlarm": _alarm(
            physical_name(stage, "sweep-dlq"),
            "Sweep work reached the dead-letter queue.",
            _queue_depth("SweepQueueDeadLetters"),
        ),
        "OperationsDashboard": {
            "Type": "AWS::CloudWatch::Dashboard",
            "Properties": {
                "DashboardName": physical_name(stage, "operations"),
                "DashboardBody": {"Fn::Sub": json.dumps(dashboard(stage), sort_keys=True)},
            },
        },
        "ApiAccessLogs": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": f"/aws/apigateway/{physical_name(stage, 'access')}",
                "RetentionInDays": 365,
            },
        },
        "RestAPI": {
            "Properties": {
                "TracingEnabled": True,
                "AccessLogSetting": {
                    "DestinationArn": {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]},
                    "Format": json.dumps(
                        {
                            "requestId": "$context.requestId",
                            "ip": "$context.identity.sourceIp",
                            "method": "$context.httpMethod",
                            "path": "$context.resourcePath",
                            "status": "$context.status",
                            "latency": "$context.responseLatency",
                            "time": "$context.requestTime",
                        },
                        sort_keys=True,
                    ),
                },
                "MethodSettings": [
                    {
                        "ResourcePath": "/*",
                        "HttpMethod": "*",
                        "ThrottlingBurstLimit": {"Ref": "ApiBurstLimit"},
                        "ThrottlingRateLimit": {"Ref": "ApiRateLimit"},
                        "MetricsEnabled": True,
                    }
                ],
                "GatewayResponses": {
                    kind: {
                        "StatusCode": str(response.status),
                        "ResponseParameters": {
                            "Headers": {
                                "Access-Control-Allow-Origin": {"Fn::Sub": "'${CorsAllowOrigin}'"},
                                "Access-Control-Allow-Headers": "'Authorization,Content-Type'",
                            }
                        },
                        "ResponseTemplates": {"application/json": body_template(response)},
                    }
                    for kind, response in GATEWAY_RESPONSES.items()
                },
            }
        },
    }
    for function, name in FUNCTION_NAMES.items():
        function_name = physical_name(stage, name)  # chalice deploy's naming
        properties: dict[str, Any] = {
            "FunctionName": function_name,
            "Environment": {"Variables": environment},
        }
        if function != "APIHandler":
            # Chalice points a blueprint's function at its own module, which Lambda would
            # import without app.py: without the app's middleware (logs, EMF metrics).
            properties["Handler"] = f"app.{name}"
        # The group Chalice adds for ``log_retention_in_days``, named outright (Chalice
        # names it after a ``${ApiHandler}`` that its own template calls APIHandler), and
        # created first, so the function never logs into a group of its own making.
        log_group = _log_group(name)
        resources[log_group] = {"Properties": {"LogGroupName": f"/aws/lambda/{function_name}"}}
        resources[function] = {"Properties": properties, "DependsOn": [log_group]}
    for function, (event, queue) in QUEUE_EVENTS.items():
        resources[function]["Properties"]["Events"] = {
            event: {
                "Properties": {
                    # the stage's queue (the decorator names the stage-less base name)
                    "Queue": {
                        "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:"
                        + resources[queue]["Properties"]["QueueName"]
                    },
                    "FunctionResponseTypes": ["ReportBatchItemFailures"],
                }
            }
        }
        if queue != "SweepQueue":  # already referenced through SWEEP_QUEUE_URL
            resources[function]["DependsOn"].append(queue)  # named by its ARN only
    return {
        "Parameters": {
            **secret_parameters(stage),
            "ApiRateLimit": {"Type": "Number", "Default": 200},
            "ApiBurstLimit": {"Type": "Number", "Default": 400},
            "CorsAllowOrigin": {"Type": "String", "Default": "*"},
        },
        "Rules": SECRET_RULES,
        "Resources": resources,
        "Outputs": {
            "ComplaintEventsTopicArn": {"Value": {"Ref": "ComplaintEventsTopic"}},
            "FactsQueueUrl": {"Value": {"Ref": "FactsQueue"}},
            "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},
        },
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    stage, output = argv
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(json.dumps(merge_template(stage), indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
