"""What the API reads and writes, as pydantic schemas: the OpenAPI schema is made from these."""

import datetime
import uuid
from decimal import Decimal
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AwareDatetime, StringConstraints, model_validator

# PostgreSQL refuses NUL characters in text; the schema refuses them first, with a 422.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[-a-zA-Z0-9_]+$", max_length=80)]
Username = Annotated[str, StringConstraints(pattern=r"^[\w.@+-]+$", max_length=150)]
ProjectCode = Annotated[str, StringConstraints(pattern=r"^ATMP-[0-9]{4}-[0-9]{4,5}$")]
# Bookings lie within this century; anything else is a typing error, and would overflow time arithmetic.
WALL_CLOCK = r"^[0-2][0-9]:[0-5][0-9]$"
EARLIEST, LATEST = datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)


class Error(Schema):
    """A refusal: ``detail`` is the message for the user, or a list of input errors (422)."""

    detail: str | list[dict[str, Any]]


class FacilityOut(Schema):
    slug: str
    name: str
    address: str
    contact_email: str
    # "HH:MM" on the local wall clock: JSON Schema's "time" format would demand a UTC offset, which varies.
    opens_at: str = Field(pattern=WALL_CLOCK, description="Local time (Europe/Stockholm), HH:MM.")
    closes_at: str = Field(pattern=WALL_CLOCK, description="Local time (Europe/Stockholm), HH:MM.")
    open_weekdays: list[int] = Field(description="0 = Monday … 6 = Sunday.")

    @staticmethod
    def resolve_opens_at(facility) -> str:
        return f"{facility.opens_at:%H:%M}"

    @staticmethod
    def resolve_closes_at(facility) -> str:
        return f"{facility.closes_at:%H:%M}"


class BookingRulesOut(Schema):
    requires_approval: bool
    training_required: bool
    min_duration_minutes: int
    max_duration_minutes: int
    lead_time_hours: int
    booking_horizon_days: int
    changeover_minutes: int
    occupancy_limit: int | None


class ResourceOut(Schema):
    slug: str
    name: str
    kind: str
    facility: str = Field(alias="facility.slug")
    description: str
    grade: str = Field(
        description="Clean-room grade of a room: A (in B), B, C, D, U (unclassified); empty for equipment."
    )
    protection_level: int = Field(
        description="Rooms: the protection level (skyddsnivå, 0-4) approved for work with GMOs; "
        "a process step of contained-use class N needs level N."
    )
    equipment_type: str
    room: str | None = Field(None, description="The room a piece of equipment stands in.")
    qualification_status: str
    requalification_due: datetime.date | None
    active: bool
    rules: BookingRulesOut

    @staticmethod
    def resolve_room(resource) -> str | None:
        return resource.room.slug if resource.room_id else None

    @staticmethod
    def resolve_rules(resource) -> dict:
        return {name: getattr(resource, name) for name in BookingRulesOut.model_fields}


class FreeSlotOut(Schema):
    start: datetime.datetime
    end: datetime.datetime


class BookingOut(Schema):
    id: int
    resource: str = Field(alias="resource.slug")
    facility: str = Field(alias="resource.facility.slug")
    project: str = Field(alias="project.code")
    group: str = Field(alias="project.group.slug")
    booked_by: str = Field(alias="booked_by.username")
    start: datetime.datetime
    end: datetime.datetime
    entrants: list[str] = Field(description="Usernames of the people who will enter.")
    purpose: str
    step: int | None = Field(alias="step_id", description="The project's process step the booking is for.")
    status: str
    decision_comment: str
    cancellation_reason: str
    series: uuid.UUID | None
    room_booking: int | None = Field(alias="parent_id", description="For equipment booked with its room.")
    created_at: datetime.datetime

    @staticmethod
    def resolve_entrants(booking) -> list[str]:
        return [person.get_username() for person in booking.entrants.all()]


class BookingIn(Schema):
    resource: Slug
    project: ProjectCode
    start: AwareDatetime
    end: AwareDatetime
    entrants: list[Username] = Field(
        [], max_length=50, description="Usernames of the people who will enter; none: the caller alone."
    )
    purpose: Annotated[Text, StringConstraints(min_length=1, max_length=500)]
    equipment: list[Slug] = Field([], max_length=20, description="Equipment in the room, booked with it.")
    repeat_weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field([], max_length=7)
    repeat_until: datetime.date | None = None
    step: int | None = Field(
        None,
        ge=1,
        le=2**31 - 1,
        description="For a GMO project: the id of the process step, whose contained-use class the room must cover; "
        "without it the project's highest class applies.",
    )

    @model_validator(mode="after")
    def within_bounds(self):
        for moment in (self.start, self.end):
            if not EARLIEST <= moment.date() <= LATEST:
                raise ValueError(f"Times lie from {EARLIEST} to {LATEST}.")
        if self.repeat_until and not EARLIEST <= self.repeat_until <= LATEST:
            raise ValueError(f"repeat_until lies from {EARLIEST} to {LATEST}.")
        return self


class CancelIn(Schema):
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=500)]


class ProjectOut(Schema):
    code: str
    title: str
    acronym: str
    group: str = Field(alias="group.slug")
    project_lead: str = Field(alias="project_lead.username")
    status: str
    atmp_class: str
    cell_origin: str
    genetic_modification: list[str] = Field(description='Every vector and modification, or ["none"].')
    stage: str
    trl: int
    gmo_class: int
    lay_summary: str
    expected_start: datetime.date | None
    expected_end: datetime.date | None


class ReportPeriodOut(Schema):
    first_day: datetime.date
    last_day: datetime.date
    label: str


class ResourceUsageOut(Schema):
    resource: str = Field(alias="resource.slug")
    open_hours: Decimal
    closed_hours: Decimal
    available_hours: Decimal
    booked_hours: Decimal
    utilisation: Decimal | None = Field(description="Booked share of the available hours, in per cent.")


class BillingLineOut(Schema):
    project: str = Field(alias="project.code")
    resource: str = Field(alias="resource.slug")
    hours: Decimal
    rate: Decimal = Field(description="SEK per hour at the group's billing category.")
    cost: Decimal


class GroupUsageOut(Schema):
    group: str = Field(alias="group.slug")
    name: str = Field(alias="group.name")
    cost_centre: str = Field(alias="group.cost_centre")
    billing_category: str = Field(alias="group.billed_as")
    hours: Decimal
    cost: Decimal
    lines: list[BillingLineOut]


class UsageReportOut(Schema):
    period: ReportPeriodOut
    facility: str | None
    booked_hours: Decimal
    cost: Decimal
    resources: list[ResourceUsageOut]
    groups: list[GroupUsageOut]

    @staticmethod
    def resolve_facility(report) -> str | None:
        return report.facility.slug if report.facility else None
