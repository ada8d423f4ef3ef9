from pmdi.core.errors import BadRequest, Conflict, NotFound


class WebhookNotFound(NotFound):
    default_detail = "Webhook not found."


class DeliveryNotFound(NotFound):
    default_detail = "Webhook delivery not found."


class UnsafeWebhookUrl(BadRequest):
    default_detail = "The webhook URL cannot be used."


class WebhookDisabled(Conflict):
    default_detail = "This webhook is disabled; enable it first."
