"""Selects whose options carry attributes of their own, for launch.js to read.

A flavor's option carries its RAM (the quota bars add it up), a volume type's its whole
description (the option's text is cut at a word), an initial state's the capability it
needs (so the state is disabled for a version without it).
"""
from django.forms.utils import flatatt
from horizon import forms


class AttributedSelect(forms.Select):
    """A select; `option_attrs` maps an option's value to the attributes it gets."""

    def __init__(self, attrs=None, choices=(), option_attrs=None):
        super().__init__(attrs, choices)
        self.option_attrs = dict(option_attrs or {})

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        extra = self.option_attrs.get(str(value))
        if extra:
            option['attrs'] = dict(option['attrs'], **extra)
        return option


class FieldNote:
    """Words shown under a field, always visible (a help text is only a tooltip): a
    select's whole description, or why the field is not offered. launch.js finds a
    note by its `data-launch-note` role and keeps it up to date."""

    def __init__(self, role, text, hidden=False, **attrs):
        self.role, self.text, self.hidden = role, text, hidden
        self.attrs = flatatt(dict({'data-launch-note': role}, **attrs))
