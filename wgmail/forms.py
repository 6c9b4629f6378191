"""Shared pieces for deform forms: the CSRF field and rendering helpers."""

import colander
import deform
from markupsafe import Markup


@colander.deferred
def _csrf_token(node, kw):
    return kw["request"].session.get_csrf_token()


class CSRFSchema(colander.MappingSchema):
    """Base schema for every form: carries the session's CSRF token.

    Pyramid checks the token before any view runs (``require_csrf``); the
    field only has to travel with the form.
    """

    csrf_token = colander.SchemaNode(
        colander.String(),
        widget=deform.widget.HiddenWidget(),
        default=_csrf_token,
        missing=colander.drop,
    )


def make_form(request, schema_class, button_title: str, **kw) -> deform.Form:
    schema = schema_class().bind(request=request, **kw)
    return deform.Form(
        schema,
        buttons=(deform.Button("submit", button_title, css_class="btn-primary"),),
        formid=schema_class.__name__.lower(),
    )


def validated(form: deform.Form, request):
    """Return ``(appstruct, None)`` or ``(None, rendered form with errors)``."""
    try:
        appstruct = form.validate(request.POST.items())
    except deform.ValidationFailure as failure:
        return None, Markup(failure.render())
    appstruct.pop("csrf_token", None)
    return appstruct, None


def render(form: deform.Form, appstruct=colander.null) -> Markup:
    return Markup(form.render(appstruct))


def with_field_error(form: deform.Form, field_name: str, message: str) -> Markup:
    """Render the submitted ``form`` again with ``message`` on one field.

    For rules only a service can check (a name already taken), found after
    the schema itself accepted the input.
    """
    error = colander.Invalid(form.schema)
    error[field_name] = message
    # Deform marks the fields only inside ``Form.validate``; an error made
    # afterwards has to be handed to the widgets, or it is never shown.
    form.widget.handle_error(form, error)
    return Markup(deform.ValidationFailure(form, form.cstruct, error).render())
