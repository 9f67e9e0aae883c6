from django.contrib import admin

from orders.models import ChannelPayload

from .models import CarrierMapping, CdiscountAccount, Drift, SettingsChange, SyncProblem, SyncRun


class CarrierMappingInline(admin.TabularInline):
    model = CarrierMapping
    extra = 0


@admin.register(CdiscountAccount)
class CdiscountAccountAdmin(admin.ModelAdmin):
    list_display = ("company", "enabled", "environment", "seller_id", "download_enabled", "upload_enabled")
    # Secrets are set through General Settings only; the admin never shows them.
    exclude = CdiscountAccount.SENSITIVE_FIELDS
    readonly_fields = ("token_received_at", "token_expires_at", "download_watermark", "consecutive_failures")
    inlines = [CarrierMappingInline]


class SyncProblemInline(admin.TabularInline):
    model = SyncProblem
    extra = 0
    readonly_fields = ("channel_order_id", "message", "raw_payload", "created_at", "resolved_at")


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "kind", "trigger", "status", "queued_at", "created", "updated", "failed")
    list_filter = ("kind", "status", "trigger")
    inlines = [SyncProblemInline]


@admin.register(ChannelPayload)
class ChannelPayloadAdmin(admin.ModelAdmin):
    list_display = ("order", "sha256", "received_at")
    raw_id_fields = ("order",)


@admin.register(SettingsChange)
class SettingsChangeAdmin(admin.ModelAdmin):
    list_display = ("account", "field", "user", "changed_at")


@admin.register(Drift)
class DriftAdmin(admin.ModelAdmin):
    list_display = ("run", "kind", "channel_order_id", "created_at", "resolved_at")
    list_filter = ("kind",)
    raw_id_fields = ("run", "order", "package", "refund")
