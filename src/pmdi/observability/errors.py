from pmdi.core.errors import Forbidden, NotFound


class MetricsDisabled(NotFound):
    default_detail = "Metrics are disabled (PMDI_METRICS__ENABLED=false)."


class MetricsTokenRequired(Forbidden):
    # Not a 401: on a page path the error renderer answers 401 with a redirect to the sign-in form.
    default_detail = "Metrics need 'Authorization: Bearer <PMDI_METRICS__TOKEN>'."
