"""crispy-bootstrap5's markup of a form field, written in Python.

crispy-bootstrap5's ``field.html`` spends some fifty template nodes and a hundred variable lookups on each field,
and its choice template a dozen on each option: on the booking form that was half of the page's time. These
functions write the same HTML (labels, required markers, help text and error ids, fieldsets for choices) from the
same context variables: the portal's ``templates/bootstrap5`` (uni_form.html, field.html and
layout/radio_checkbox_select.html) call them.
"""

from django import forms
from django.conf import settings
from django.template.loader import get_template
from django.templatetags.l10n import unlocalize

from atmp_portal.widgets import attributes_html, escaped

ASTERISK = '<span class="asteriskField">*</span>'


def field_html(field, context) -> str:
    """The HTML of ``field`` (a bound field) as crispy-bootstrap5's ``field.html`` writes it in ``context``."""
    if field.is_hidden:
        return str(field)
    widget = field.field.widget
    horizontal = "form-horizontal" in (context.get("form_class") or "")
    show_labels = context.get("form_show_labels")
    label_class = context.get("label_class")
    field_class = context.get("field_class")
    tag = escaped(context.get("tag") or "div")
    is_checkbox = isinstance(widget, forms.CheckboxInput)
    is_choices = isinstance(widget, forms.RadioSelect)  # radio buttons and CheckboxSelectMultiple
    required = field.field.required
    label = escaped(field.label) if field.label else ""
    html = []
    if is_checkbox and tag != "td":
        html.append(f'<div class="mb-3{" row" if horizontal else ""}">')
        if label_class:
            offsets = "".join(
                f"{offset[7:14]}{offset[4:7]}{offset[14:16]} "
                for offset in context.get("bootstrap_checkbox_offsets") or ()
            )
            html.append(f'<div class="{escaped(offsets)}{escaped(field_class or "")}">')
    wrapper_class = "form-check" if is_checkbox and show_labels else "mb-3" + (" row" if horizontal else "")
    if wrapper_class_extra := context.get("wrapper_class"):
        wrapper_class += f" {wrapper_class_extra}"
    if css_classes := field.css_classes():
        wrapper_class += f" {css_classes}"
    html.append(f'<{tag} id="div_{escaped(field.auto_id)}" class="{escaped(wrapper_class)}">')
    in_fieldset = field.use_fieldset and label and show_labels
    if label and not is_checkbox and show_labels:
        element = "legend" if field.use_fieldset else "label"
        if field.use_fieldset:
            row = ' class="row"' if horizontal else ""
            described = f' aria-describedby="{escaped(field.aria_describedby)}"' if field.aria_describedby else ""
            html.append(f"<fieldset{row}{described}>")
        label_for = f'for="{escaped(field.id_for_label)}" ' if field.id_for_label else ""
        classes = "col-form-label pt-0" if horizontal else "form-label"
        classes += (f" {label_class}" if label_class else "") + (" requiredField" if required else "")
        classes += " fs-6" if field.use_fieldset else ""
        asterisk = ASTERISK if required else ""
        html.append(f'<{element} {label_for}class="{escaped(classes)}">{label}{asterisk}</{element}>')
    if is_choices:
        html.append(choices_html(field, context))
    elif is_checkbox and show_labels:
        html.append(_widget_html(field, "form-check-input is-invalid" if field.errors else "form-check-input"))
        check_label = "form-check-label requiredField" if required else "form-check-label"
        asterisk = ASTERISK if required else ""
        html.append(f'<label for="{escaped(field.id_for_label)}" class="{check_label}">{label}{asterisk}</label>')
        html.append(_help_text_and_errors(field, context))
    else:
        if field_class:
            html.append(f'<div class="{escaped(field_class)}">')
        if isinstance(widget, forms.FileInput):
            html.append(get_template("bootstrap5/layout/field_file.html").render(context.flatten()))
        else:
            kind = _control_class(widget)
            html.append(_widget_html(field, f"{kind} is-invalid" if field.errors else kind))
            html.append(_help_text_and_errors(field, context))
        if field_class:
            html.append("</div>")
    if in_fieldset:
        html.append("</fieldset>")
    html.append(f"</{tag}>")
    if is_checkbox and tag != "td":
        html.append("</div></div>" if label_class else "</div>")
    return "".join(html)


def choices_html(field, context) -> str:
    """The radio buttons or check boxes of ``field``, each with its label, then its errors and help text."""
    field_class = context.get("field_class")
    inline_class = context.get("inline_class")
    flat_attrs = context.get("flat_attrs")
    name = escaped(field.html_name)
    input_class = "form-check-input is-invalid" if field.errors else "form-check-input"
    check_class = "form-check form-check-inline" if inline_class else "form-check"
    class_attribute = f'class="{escaped(field_class)}"' if field_class else ""
    html = [f"<div {class_attribute}{f' {flat_attrs}' if flat_attrs else ''}>"]
    groups = _optgroups(field)
    for group_number, (group, options, _index) in enumerate(groups, 1):
        if group:
            html.append(f"<strong>{escaped(group)}</strong>")
        for option_number, option in enumerate(options, 1):
            value, attrs = escaped(unlocalize(option["value"])), option["attrs"]
            html.append(
                f'<div class="{check_class}"><input type="{escaped(option["type"])}" class="{input_class}" '
                f'name="{name}" value="{value}" {attributes_html(attrs)}>'
                f'<label for="{escaped(attrs.get("id", ""))}" class="form-check-label">'
                f"{escaped(unlocalize(option['label']))}</label>"
            )
            last = option_number == len(options) and group_number == len(groups)
            if field.errors and last and not inline_class and context.get("form_show_errors"):
                html.append(_errors(field, "p"))
            html.append("</div>")
    html.append("</div>")
    if field.errors and inline_class:
        html.append(_errors(field, "p"))
    html.append(_help_text(field, inline=bool(context.get("help_text_inline"))))
    return "".join(html)


def _control_class(widget) -> str:
    if isinstance(widget, forms.Select):
        return "form-select"
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    return "form-control"


def _optgroups(field) -> list:
    """The widget's groups of options, as crispy's ``optgroups`` filter gives them."""
    widget = field.field.widget
    id_ = widget.attrs.get("id") or field.auto_id
    attrs = field.build_widget_attrs({"id": id_} if id_ else {})
    return widget.optgroups(field.html_name, widget.format_value(field.value()), attrs)


def _widget_html(field, classes: str) -> str:
    """The field's widget with ``classes`` added to its class, as crispy's ``crispy_field`` tag writes it: the
    widget's own class name first, unless the widget's classes already name it."""
    widget = field.field.widget
    converters = getattr(settings, "CRISPY_CLASS_CONVERTERS", {})
    for part in getattr(widget, "widgets", [getattr(widget, "widget", widget)]):
        class_name = part.__class__.__name__.lower()
        class_name = converters.get(class_name, class_name)
        css_class = part.attrs.get("class", "")
        if not css_class:
            css_class = class_name
        elif class_name not in css_class:
            css_class += f" {class_name}"
        names = css_class.split()
        part.attrs["class"] = " ".join([css_class, *(name for name in classes.split() if name not in names)])
    return str(field)


def _help_text_and_errors(field, context) -> str:
    inline_help = context.get("help_text_inline")
    inline_errors = context.get("error_text_inline")
    before = _help_text(field, inline=True) if inline_help and not inline_errors else ""
    after = "" if inline_help else _help_text(field, inline=False)
    errors = (
        _errors(field, "span" if inline_errors else "p") if context.get("form_show_errors") and field.errors else ""
    )
    return before + errors + after


def _help_text(field, *, inline: bool) -> str:
    if not field.help_text:
        return ""
    if inline:
        return f'<span id="{escaped(field.auto_id)}_helptext" class="form-text">{field.help_text}</span>'
    id_ = f'id="{escaped(field.auto_id)}_helptext" ' if field.auto_id else ""
    return f'<div {id_}class="form-text">{field.help_text}</div>'


def _errors(field, element: str) -> str:
    auto_id = escaped(field.auto_id)
    messages = "".join(
        f'<{element} id="error_{number}_{auto_id}"><strong>{escaped(error)}</strong></{element}>'
        for number, error in enumerate(field.errors, 1)
    )
    return f'<div id="{escaped(getattr(field.errors, "field_id", ""))}_error" class="invalid-feedback">{messages}</div>'
