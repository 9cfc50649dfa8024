"""Seller Report Center — Chalice application.  Wiring only: see chalicelib/."""

from chalice import Chalice

from chalicelib.api import (
    attachments,
    complaints,
    dev_events,
    metrics,
    orders,
    pages,
    platform,
    public,
    review,
)
from chalicelib.api.http import http_middleware
from chalicelib.jobs import exemptions, facts_queue
from chalicelib.jobs import sla_sweep as sweep
from chalicelib.observability import observability_middleware

app = Chalice(app_name="seller-report-center")
app.register_middleware(observability_middleware, "all")
app.register_middleware(http_middleware(app), "http")
app.register_blueprint(public.bp)
app.register_blueprint(complaints.bp)
app.register_blueprint(attachments.bp)
app.register_blueprint(platform.bp)
app.register_blueprint(review.bp)
app.register_blueprint(metrics.bp)
app.register_blueprint(orders.bp)
app.register_blueprint(pages.bp)
app.register_blueprint(dev_events.bp)
app.register_blueprint(facts_queue.bp)
app.register_blueprint(sweep.bp)
app.register_blueprint(exemptions.bp)

# Lambda's entry points of the queue and schedule functions (the packaged template's
# ``Handler: app.<name>``): importing them from here loads app.py first, so they run
# inside the middleware registered above.  Chalice's own handler strings point at their
# blueprint modules, where they would run without it.
on_fact_messages = facts_queue.on_fact_messages
sla_sweep = sweep.sla_sweep
sla_sweep_worker = sweep.sla_sweep_worker
exemption_job = exemptions.exemption_job
