"""Forms render as crispy-bootstrap5 and Django write them, from a few template nodes per field.

The portal writes crispy-bootstrap5's field markup in Python (atmp_portal/bootstrap_fields.py) and a widget's
attributes in one node: each field kind, bound and unbound, with and without errors, in every way crispy lays
fields out, gives the HTML that crispy-bootstrap5's own templates and Django's own widget templates give.
"""

import re
from pathlib import Path

import crispy_bootstrap5
import pytest
from crispy_forms.helper import FormHelper
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.template import Context, Engine, engines
from django.template.loader import get_template
from django.utils.safestring import mark_safe

from atmp_portal.bootstrap_fields import field_html
from atmp_portal.widgets import INPUT_TEMPLATES, TEXTAREA_TEMPLATE, OptionsSelect
from tests.helpers import counted_nodes

KINDS = [("", "---"), ("room", "Room"), ("thing", "Thing")]
GROUPED_CHOICES = [("Rooms", [("a", "Grade B suite"), ("b", "Grade C lab")]), ("Equipment", [("c", "Isolator <1>")])]


class EveryKindForm(forms.Form):
    error_css_class = "has-error"
    required_css_class = "is-required"

    text = forms.CharField(label="Purpose & aim", max_length=50, help_text="Say <em>why</em>.")
    optional = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": "form-control-sm"}))
    unlabelled = forms.CharField(label="", required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "data-x": mark_safe("a&amp;b"), "hidden": False}))
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), help_text="Local day")
    count = forms.IntegerField(min_value=1)
    kind = forms.ChoiceField(choices=KINDS)
    kinds = forms.MultipleChoiceField(choices=[("room", "Room"), ("thing", "Thing")], required=False)
    people = forms.MultipleChoiceField(
        choices=[(1, "Ann"), (2, "Bo & Co")], widget=forms.CheckboxSelectMultiple, help_text="Who enters"
    )
    grouped = forms.MultipleChoiceField(choices=GROUPED_CHOICES, widget=forms.CheckboxSelectMultiple, required=False)
    grade = forms.ChoiceField(choices=[("A", "A"), ("B", "B")], widget=forms.RadioSelect)
    agreed = forms.BooleanField(help_text="Read the rules first")
    reminded = forms.BooleanField(required=False)
    file = forms.FileField(required=False, help_text="PDF")
    secret = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        raise forms.ValidationError("The form as a whole is wrong.")


class PortalKindForm(EveryKindForm):
    kind = forms.ChoiceField(choices=KINDS, widget=OptionsSelect)  # the portal's select


VALID = {"text": "Why", "note": "n", "password": "p", "day": "2026-01-02", "count": "2", "kind": "room",
         "people": ["1"], "grade": "A", "agreed": "on", "kinds": ["thing"], "grouped": ["c"]}  # fmt: skip
INVALID = {"text": "x" * 60, "count": "0", "kind": "nope", "people": ["9"], "day": "soon"}

# The context crispy gives field.html: by the |crispy filter, by a FormHelper, and by a helper's other options.
LAYOUTS = {
    "crispy filter": {"form_show_errors": True, "form_show_labels": True, "label_class": "", "field_class": ""},
    "helper": {"form_show_errors": True, "form_show_labels": True, "error_text_inline": True},
    "help inline": {"form_show_errors": True, "form_show_labels": True, "help_text_inline": True},
    "no labels, no errors": {"form_show_errors": False, "form_show_labels": False},
    "horizontal": {
        "form_show_errors": True,
        "form_show_labels": True,
        "form_class": "form-horizontal",
        "label_class": "col-lg-2",
        "field_class": "col-lg-8",
        "bootstrap_checkbox_offsets": ["col-lg-offset-2"],
    },
    "table cell": {"form_show_errors": True, "form_show_labels": True, "tag": "td", "wrapper_class": "small"},
    "inline choices": {"form_show_errors": True, "form_show_labels": True, "inline_class": "inline", "flat_attrs": ""},
}


def crispy_bootstrap5_field():
    """crispy-bootstrap5's own field.html, with its own includes."""
    engine = Engine(
        dirs=[Path(crispy_bootstrap5.__file__).parent / "templates"],
        libraries={
            "crispy_forms_field": "crispy_forms.templatetags.crispy_forms_field",
            "crispy_forms_filters": "crispy_forms.templatetags.crispy_forms_filters",
            "l10n": "django.templatetags.l10n",
        },
    )
    return engine.get_template("bootstrap5/field.html")


def normalised(html: str) -> str:
    """The HTML with whitespace between and around tags taken away (crispy's templates leave some)."""
    return re.sub(r"\s*(<[^>]*>)\s*", r"\1", re.sub(r"\s+", " ", str(html))).strip()


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("data", [None, VALID, INVALID], ids=["unbound", "valid", "invalid"])
@pytest.mark.parametrize("auto_id", ["id_%s", False])
def test_every_field_kind_is_written_as_crispy_bootstrap5_and_django_write_it(layout, data, auto_id):
    theirs = crispy_bootstrap5_field()
    # Django's own widget templates on one side, the portal's (settings.FORM_RENDERER) on the other.
    their_form = EveryKindForm(data, auto_id=auto_id, renderer=DjangoTemplates())
    our_form = PortalKindForm(data, auto_id=auto_id)
    if data is not None:
        assert not our_form.is_valid() and not their_form.is_valid()
    for name in our_form.fields:
        context = {**LAYOUTS[layout], "field": their_form[name]}
        expected = theirs.render(Context(context))
        ours = field_html(our_form[name], Context({**LAYOUTS[layout], "field": our_form[name]}))
        assert normalised(ours) == normalised(expected), name


@pytest.mark.parametrize("value", [None, "b", 3])
def test_options_select_writes_what_django_s_select_writes(value):
    choices = [("", "---"), *GROUPED_CHOICES, (3, "Three & more")]
    attrs = {"id": "id_resource", "required": True, "aria-describedby": "id_resource_helptext", "disabled": False}
    theirs = forms.Select(choices=choices).render("resource", value, attrs, renderer=DjangoTemplates())
    assert normalised(OptionsSelect(choices=choices).render("resource", value, attrs)) == normalised(theirs)


INPUTS = [
    (forms.TextInput(attrs={"maxlength": 50, "placeholder": 'Say "why"'}), "a <b> & c"),
    (forms.NumberInput(attrs={"min": 0, "step": "0.1"}), 1.5),
    (forms.EmailInput, "a@example.org"),
    (forms.URLInput, "https://example.org/?a=1&b=2"),
    (forms.PasswordInput(render_value=True), "secret"),
    (forms.HiddenInput, mark_safe("a&amp;b")),
    (forms.DateInput(attrs={"type": "date"}), "2026-01-02"),
    (forms.DateTimeInput(attrs={"type": "datetime-local"}), ""),
    (forms.TimeInput, None),
    (forms.CheckboxInput(attrs={"required": True, "disabled": False}), True),
    (forms.FileInput, None),
    (forms.ColorInput, "#ff0000"),
    (forms.SearchInput, "lymphoma"),
    (forms.TelInput, "+46 46 222 00 00"),
    (forms.Textarea(attrs={"rows": 3}), "\nFirst line <b>\nsecond & last"),
    (forms.Textarea, ""),
]


@pytest.mark.parametrize(("widget", "value"), INPUTS)
def test_inputs_and_text_areas_are_written_as_django_s_templates_write_them(widget, value):
    widget = widget() if isinstance(widget, type) else widget
    attrs = {"id": "id_field", "aria-describedby": "id_field_helptext"}
    theirs = widget.render("field", value, attrs, renderer=DjangoTemplates())
    assert widget.render("field", value, attrs, renderer=get_default_renderer()) == theirs


def test_the_templates_written_in_python_are_django_s_own():
    """Were the portal to override one of them, its override would be passed over."""
    for name in {*INPUT_TEMPLATES, TEXTAREA_TEMPLATE}:
        assert Path(get_template(name).origin.name).is_relative_to(Path(forms.__file__).parent / "templates"), name


def test_a_form_renders_as_many_template_nodes_for_many_fields_as_for_few(monkeypatch):
    def form(fields: int) -> forms.Form:
        text = {f"text{n}": forms.CharField(help_text="Help") for n in range(fields)}
        notes = {f"note{n}": forms.CharField(widget=forms.Textarea) for n in range(fields)}
        choices = {f"choice{n}": forms.ChoiceField(choices=[("a", "A")], widget=OptionsSelect) for n in range(fields)}
        boxes = {
            f"boxes{n}": forms.MultipleChoiceField(choices=[("a", "A")], widget=forms.CheckboxSelectMultiple)
            for n in range(fields)
        }
        return type("ManyFields", (forms.Form,), {**text, **notes, **choices, **boxes})(data={})

    template = engines["django"].from_string("{% load crispy_forms_tags %}{{ form|crispy }}")
    with counted_nodes(monkeypatch) as nodes:
        template.render({"form": form(1)})
    one = nodes.count
    with counted_nodes(monkeypatch) as nodes:
        html = template.render({"form": form(20)})
    assert html.count("invalid-feedback") == 20 * 4
    assert nodes.count == one


def test_a_helper_s_own_field_template_is_still_used():
    form = EveryKindForm()
    form.helper = FormHelper()
    form.helper.form_tag = False
    form.helper.field_template = "bootstrap5/layout/inline_field.html"
    html = engines["django"].from_string("{% load crispy_forms_tags %}{% crispy form %}").render({"form": form})
    assert '<label for="id_text" class="visually-hidden">' in normalised(html)


def test_options_of_check_boxes_render_no_template_nodes_of_their_own(monkeypatch):
    def form(options: int) -> forms.Form:
        people = forms.MultipleChoiceField(
            choices=[(n, f"Person {n}") for n in range(options)], widget=forms.CheckboxSelectMultiple
        )
        return type("People", (forms.Form,), {"people": people})(data={})

    template = engines["django"].from_string("{% load crispy_forms_tags %}{{ form|crispy }}")
    with counted_nodes(monkeypatch) as nodes:
        template.render({"form": form(1)})
    one = nodes.count
    with counted_nodes(monkeypatch) as nodes:
        html = template.render({"form": form(40)})
    assert html.count('type="checkbox"') == 40
    assert nodes.count == one
