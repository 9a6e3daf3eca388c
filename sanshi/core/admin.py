from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .errors import ValidationFailed
from .models import Delivery, Job, Notification, NotificationPreference, WebhookEndpoint
from .notify import delivery_retry
from .personal import MOBILE_RE, mask_phone, normalise_phone


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "kinds", "active", "created_at")
    list_filter = ("active",)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Failed deliveries: filter by status 发送失败; "重新发送" queues them again."""

    list_display = ("created_at", "channel", "kind", "target", "status", "attempts", "last_error", "delivered_at")
    list_filter = ("status", "channel", "kind")
    search_fields = ("target", "kind", "uid")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("重新发送所选的失败投递"))
    def retry(self, request, queryset):
        queued = sum(delivery_retry(delivery=d) for d in queryset)
        self.message_user(request, _("已重新排队 %(n)d 条。") % {"n": queued}, messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "kind", "subject", "read_at")
    list_filter = ("kind", "channel")
    search_fields = ("subject",)
    raw_id_fields = ("recipient", "request")


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "status", "attempts", "run_at", "last_error")
    list_filter = ("status", "kind")
    readonly_fields = ("kind", "payload", "attempts", "last_error", "created_at", "done_at")


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["user", "email", "sms", "phone"]
        widgets = {"phone": forms.TextInput}

    def clean_phone(self):
        try:
            phone = normalise_phone(self.cleaned_data.get("phone"), field="phone")
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.errors.get("phone", exc.message)) from None
        if phone and not MOBILE_RE.match(phone):
            raise forms.ValidationError(_("短信需要11位手机号"))
        return phone


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """A staff member's channels and SMS number (the list shows the number masked)."""

    form = NotificationPreferenceForm
    list_display = ("user", "email", "sms", "masked_phone")
    raw_id_fields = ("user",)

    @admin.display(description=_("短信号码"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)
