"""The back office's searchable selects (ModelAdmin.autocomplete_fields) as valid HTML.

Django's autocomplete widget writes no option at all in a required select with nothing chosen,
and an empty option without text in an optional one; HTML wants a required select's first option
to be an empty choice, and every option to have text. Here the first option is always the empty
choice, with the text the plain select gives it ("---------")."""

from django.contrib import admin
from django.contrib.admin import widgets

EMPTY_CHOICE = "---------"


class AutocompleteSelect(widgets.AutocompleteSelect):
    def optgroups(self, name, value, attr=None):
        groups = super().optgroups(name, value, attr)
        options = groups[0][1]
        if options and options[0]["value"] == "":
            options[0]["label"] = EMPTY_CHOICE
        else:
            options.insert(0, self.create_option(name, "", EMPTY_CHOICE, False, 0))
        return groups


class LabelledAutocomplete:
    """For a ModelAdmin or an inline: its autocomplete_fields use the select above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ModelAdmin(LabelledAutocomplete, admin.ModelAdmin):
    """The project's admin pages."""
