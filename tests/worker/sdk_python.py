"""Sends the end-to-end test's events through a Python SDK (the real package from PyPI,
installed by scripts/test.sh into .venv/) to the Worker, then prints one JSON line: the requests
the SDK made (path, status, headers it sent) and any error it reported. The SDK is
segment-analytics-python or rudder-sdk-python, whose Client takes the same arguments.

    .venv/bin/python tests/worker/sdk_python.py WORKER_URL WRITE_KEY gzip|plain segment|rudder
"""

import json
import sys
from datetime import datetime, timezone

import requests

url, write_key, encoding, sdk = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
if sdk == "rudder":
    from rudderstack.analytics import Client
else:
    from segment.analytics import Client
sent = []
errors = []

# Watch what the SDK puts on the wire, through the session it posts with.
original_send = requests.Session.send


def recording_send(session, request, **kwargs):
    response = original_send(session, request, **kwargs)
    sent.append(
        {
            "path": request.path_url,
            "status": response.status_code,
            "content_encoding": request.headers.get("Content-Encoding"),
            "content_type": request.headers.get("Content-Type"),
            "authorization": request.headers.get("Authorization", "").split(" ")[0],
            "x_retry_count": request.headers.get("X-Retry-Count"),
        }
    )
    return response


requests.Session.send = recording_send

client = Client(
    write_key,
    host=url,
    gzip=encoding == "gzip",
    on_error=lambda error, batch: errors.append(str(error)),
    max_retries=0,
)
at = datetime(2025, 5, 14, 7, 30, tzinfo=timezone.utc)
client.identify("Grace Hopper", {"name": "Grace Hopper", "email": "grace@example.com", "plan": "pro"}, timestamp=at)
client.track("Grace Hopper", "Order Completed", {"total": 42}, timestamp=at)
client.track("Grace Hopper", "Signed Up", timestamp=at)
client.page("Grace Hopper", name="Home", timestamp=at)
client.screen("Grace Hopper", name="Settings", timestamp=at)
client.group("Grace Hopper", "navy", timestamp=at)
client.alias("Grace Hopper", "anon-1", timestamp=at)
client.flush()
client.join()
print(json.dumps({"sent": sent, "errors": errors}))
