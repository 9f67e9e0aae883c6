"""Invoice plugins (SPEC S9): renderers from outside the app, registered from the INVOICE_PLUGINS
setting (import paths) and from installed packages' `sellercloud.invoice_plugins` entry points.

A plugin is a class (or an instance) with `key`, `label` and `render(job) -> bytes`, the
interface of invoices.renderers.base. Loaded once per process; one that cannot be loaded is
logged and listed with its error, never offered. Invoice Settings offers only the registered
ones and says where each comes from.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from importlib import metadata

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .base import InvoiceRenderer, PrintJob, RenderError
from .standard import StandardRenderer

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "sellercloud.invoice_plugins"


@dataclass(frozen=True)
class InvoicePlugin:
    """A registered renderer and where it was found."""

    key: str
    label: str
    renderer: InvoiceRenderer
    source: str  # "setting INVOICE_PLUGINS" or "entry point of <distribution> <version>"


@dataclass(frozen=True)
class PluginLoadError:
    """A plugin that was named but could not be loaded."""

    name: str
    source: str
    error: str


@dataclass(frozen=True)
class PluginRegistry:
    plugins: dict[str, InvoicePlugin]
    errors: list[PluginLoadError]


def _instance(loaded: object) -> InvoiceRenderer:
    renderer = loaded() if isinstance(loaded, type) else loaded
    for attribute in ("key", "label", "render"):
        if not hasattr(renderer, attribute):
            raise TypeError(f"it has no `{attribute}`: an invoice renderer needs key, label and render(job)")
    return renderer  # type: ignore[return-value]


def _candidates() -> list[tuple[str, str, object]]:
    """(name, source, loader) of every plugin named by the setting or an entry point."""
    found: list[tuple[str, str, object]] = []
    for path in settings.INVOICE_PLUGINS:
        found.append((path, "setting INVOICE_PLUGINS", functools.partial(import_string, path)))
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = f"{entry.dist.name} {entry.dist.version}" if entry.dist else "an installed package"
        found.append((entry.value, f"entry point {entry.name} of {dist}", entry.load))
    return found


@functools.cache
def plugin_registry() -> PluginRegistry:
    """The registered plugins by key, and those that could not be loaded."""
    plugins: dict[str, InvoicePlugin] = {}
    errors = []
    for name, source, load in _candidates():
        try:
            renderer = _instance(load())  # type: ignore[operator]
        except Exception as e:  # a broken plugin must not take Invoice Settings or printing down
            logger.exception("event=invoice_plugin_unloadable name=%s source=%s", name, source)
            errors.append(PluginLoadError(name, source, f"{type(e).__name__}: {e}"))
            continue
        if renderer.key in plugins:
            errors.append(PluginLoadError(name, source, f"the key {renderer.key!r} is taken by another plugin"))
            continue
        plugins[renderer.key] = InvoicePlugin(renderer.key, renderer.label, renderer, source)
    return PluginRegistry(plugins, errors)


def plugin_for(key: str) -> InvoicePlugin | None:
    """The registered plugin of `key`, or None (never registered, or uninstalled since)."""
    return plugin_registry().plugins.get(key)


class PluginRenderer:
    """The Plugin Invoice Type: prints with the plugin the invoice was issued with.

    A plugin uninstalled since prints as Standard Invoice (Invoice Settings warns about it); a
    plugin that raises gives a RenderError naming it, so the print says which plugin failed.
    """

    key = "plugin"
    label = "Plugin"

    def render(self, job: PrintJob) -> bytes:
        key = str(job.snapshot.get("plugin", ""))
        plugin = plugin_for(key)
        if plugin is None:
            logger.warning("event=invoice_plugin_missing plugin=%s number=%s", key, job.snapshot.get("number"))
            return StandardRenderer().render(job)
        try:
            return plugin.renderer.render(job)
        except Exception as e:  # someone else's code: its failure becomes a message, not a 500
            logger.exception("event=invoice_plugin_failed plugin=%s number=%s", key, job.snapshot.get("number"))
            raise RenderError(
                f"The invoice plugin “{plugin.label}” ({plugin.key}, {plugin.source}) failed: "
                f"{type(e).__name__}: {str(e)[:200]}"
            ) from e


def _forget(*, setting: str, **kwargs: object) -> None:
    if setting == "INVOICE_PLUGINS":
        plugin_registry.cache_clear()


setting_changed.connect(_forget)
