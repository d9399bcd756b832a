"""Research groups: who sees them, who edits them and their members, and the PI rule."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from projects import services
from projects.models import Membership, MembershipRole, ResearchGroup

pytestmark = pytest.mark.django_db


def edit_url(group):
    return reverse("projects:group_edit", args=[group.slug])


def group_data(**changes):
    data = {"name": "Stem Cell Lab", "organisation_unit": "medicine", "department": "", "description": ""}
    data["cost_centre"] = "MED-1"
    return {**data, **changes}


def test_every_member_sees_the_group_list_and_detail(client, group, member, outsider):
    client.force_login(outsider)
    assert client.get(reverse("projects:group_list")).status_code == 200
    response = client.get(group.get_absolute_url())
    assert response.status_code == 200
    assert "member" in response.text
    assert "Edit group" not in response.text


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_edit_is_refused_to_others_on_get_and_post(client, group, member, outsider, who):
    client.force_login({"member": member, "outsider": outsider}[who])
    assert client.get(edit_url(group)).status_code == 403
    assert client.post(edit_url(group), group_data(name="Taken over")).status_code == 403
    group.refresh_from_db()
    assert group.name == "Stem Cell Lab"


@pytest.mark.parametrize("who", ["pi", "manager", "admin_user"])
def test_pi_manager_and_admin_edit_the_group(client, group, pi, manager, admin_user, who):
    client.force_login({"pi": pi, "manager": manager, "admin_user": admin_user}[who])
    assert client.get(edit_url(group)).status_code == 200
    response = client.post(edit_url(group), group_data(cost_centre="MED-2"))
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.cost_centre == "MED-2"


def test_edit_with_bad_input_shows_errors_and_changes_nothing(client, group, pi):
    client.force_login(pi)
    response = client.post(edit_url(group), group_data(name="x" * 5000, organisation_unit="nowhere"))
    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in response.text
    assert "Select a valid choice" in response.text
    group.refresh_from_db()
    assert group.name == "Stem Cell Lab"


def test_markup_in_a_group_is_shown_escaped(client, group, pi):
    group.description = "<script>alert(1)</script>"
    group.save()
    client.force_login(pi)
    response = client.get(group.get_absolute_url())
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


class TestMembershipChanges:
    def add(self, client, group, user, role="member"):
        return client.post(reverse("projects:member_add", args=[group.slug]), {"user": user, "role": role})

    def role(self, client, membership, role):
        url = reverse("projects:member_role", args=[membership.group.slug, membership.pk])
        return client.post(url, {f"m{membership.pk}-role": role})

    def remove(self, client, membership):
        return client.post(reverse("projects:member_remove", args=[membership.group.slug, membership.pk]))

    @pytest.mark.parametrize("who", ["member", "outsider"])
    def test_refused_to_others(self, client, group, member, outsider, make_user, who):
        newcomer = make_user("newcomer")
        membership = Membership.objects.get(group=group, user=member)
        client.force_login({"member": member, "outsider": outsider}[who])
        assert self.add(client, group, newcomer.username).status_code == 403
        assert self.role(client, membership, "manager").status_code == 403
        assert self.remove(client, membership).status_code == 403
        assert client.get(reverse("projects:member_add", args=[group.slug])).status_code in (403, 405)
        assert not group.memberships.filter(user=newcomer).exists()
        membership.refresh_from_db()
        assert membership.role == MembershipRole.MEMBER

    def test_manager_adds_by_username_or_email_changes_role_and_removes(self, client, group, manager, make_user):
        first, second = make_user("first"), make_user("second", email="Second@Example.org")
        client.force_login(manager)
        assert self.add(client, group, "first").status_code == 302
        assert self.add(client, group, "second@example.org", "manager").status_code == 302
        assert group.memberships.get(user=second).role == MembershipRole.MANAGER
        membership = group.memberships.get(user=first)
        assert self.role(client, membership, "manager").status_code == 302
        membership.refresh_from_db()
        assert membership.role == MembershipRole.MANAGER
        assert self.remove(client, membership).status_code == 302
        assert not group.memberships.filter(user=first).exists()

    def test_removing_asks_for_confirmation_first(self, client, group, manager, member):
        membership = group.memberships.get(user=member)
        url = reverse("projects:member_remove", args=[group.slug, membership.pk])
        client.force_login(manager)
        assert f'href="{url}"' in client.get(group.get_absolute_url()).text
        response = client.get(url)
        assert response.status_code == 200
        assert "from the group?" in response.text
        assert f'href="{group.get_absolute_url()}"' in response.text
        assert group.memberships.filter(user=member).exists()
        assert self.remove(client, membership).status_code == 302
        assert not group.memberships.filter(user=member).exists()

    def test_unknown_or_duplicate_people_get_a_message(self, client, group, pi, member):
        client.force_login(pi)
        response = self.add(client, group, "nobody-by-that-name")
        assert response.status_code == 400
        assert "No active user has the username or e-mail address" in response.text
        response = self.add(client, group, member.username)
        assert response.status_code == 400
        assert "already a member" in response.text
        assert group.memberships.count() == 2

    def test_a_group_always_keeps_a_pi(self, client, group, pi):
        client.force_login(pi)
        pi_membership = group.memberships.get(user=pi)
        response = self.role(client, pi_membership, "member")
        assert "make another member PI first" in client.get(response["Location"]).text
        self.remove(client, pi_membership)
        pi_membership.refresh_from_db()
        assert pi_membership.role == MembershipRole.PI
        group.refresh_from_db()
        assert group.pi == pi

    def test_the_pi_hands_the_role_on(self, client, group, pi, member):
        client.force_login(pi)
        membership = group.memberships.get(user=member)
        assert self.role(client, membership, "pi").status_code == 302
        group.refresh_from_db()
        assert group.pi == member
        assert group.memberships.get(user=pi).role == MembershipRole.MANAGER
        assert group.memberships.filter(role=MembershipRole.PI).count() == 1

    def test_a_manager_cannot_make_a_pi_or_touch_the_pis_membership(self, client, group, pi, manager, member):
        client.force_login(manager)
        membership = group.memberships.get(user=member)
        self.role(client, membership, "pi")
        membership.refresh_from_db()
        assert membership.role == MembershipRole.MEMBER
        assert self.remove(client, group.memberships.get(user=pi)).status_code == 403
        group.refresh_from_db()
        assert group.pi == pi


def test_group_list_queries_do_not_grow_with_groups(client, make_group, member, django_assert_max_num_queries):
    client.force_login(member)
    for _ in range(3):
        make_group()
    with django_assert_max_num_queries(6) as few:
        client.get(reverse("projects:group_list"))
    for _ in range(40):
        make_group()
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("projects:group_list"))
    assert response.status_code == 200


def test_group_detail_queries_do_not_grow_with_members(
    client, group, pi, add_member, make_project, django_assert_max_num_queries
):
    client.force_login(pi)
    add_member(group)
    make_project(group)
    with django_assert_max_num_queries(12) as few:
        client.get(group.get_absolute_url())
    for _ in range(20):
        add_member(group)
        make_project(group)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(group.get_absolute_url())
    assert response.status_code == 200


class TestServicesRefuseWhoMayNot:
    """The services ask the same questions as the pages, so the admin and commands cannot do more."""

    @pytest.mark.parametrize("who", ["member", "outsider"])
    def test_only_managers_add_change_and_remove(self, group, member, outsider, make_user, who):
        actor = {"member": member, "outsider": outsider}[who]
        newcomer = make_user("newcomer")
        membership = group.memberships.get(user=member)
        with pytest.raises(PermissionDenied):
            services.add_member(group, identifier=newcomer.username, role=MembershipRole.MEMBER, actor=actor)
        with pytest.raises(PermissionDenied):
            services.change_role(membership, MembershipRole.MANAGER, actor=actor)
        with pytest.raises(PermissionDenied):
            services.remove_member(membership, actor=actor)
        assert not group.memberships.filter(user=newcomer).exists()
        membership.refresh_from_db()
        assert membership.role == MembershipRole.MEMBER

    def test_a_manager_cannot_name_a_pi_through_the_services(self, group, pi, manager, member, make_user):
        membership = group.memberships.get(user=member)
        with pytest.raises(PermissionDenied):
            services.change_role(membership, MembershipRole.PI, actor=manager)
        with pytest.raises(PermissionDenied):
            services.add_member(group, identifier=make_user().username, role=MembershipRole.PI, actor=manager)
        with pytest.raises(PermissionDenied):
            services.remove_member(group.memberships.get(user=pi), actor=manager)
        group.refresh_from_db()
        assert group.pi == pi
        assert group.memberships.count() == 3

    def test_a_manager_saves_the_group_but_only_the_pi_hands_it_on(self, group, pi, manager, member):
        group.cost_centre = "MED-9"
        services.save_group(group, actor=manager)
        group.pi = member
        with pytest.raises(PermissionDenied):
            services.save_group(group, actor=manager)
        group.refresh_from_db()
        assert (group.cost_centre, group.pi) == ("MED-9", pi)

    def test_only_administrators_create_and_delete_groups(self, pi, admin_user):
        group = ResearchGroup(name="New Lab", slug="new-lab", pi=pi, organisation_unit="medicine")
        with pytest.raises(PermissionDenied):
            services.save_group(group, actor=pi)
        services.save_group(group, actor=admin_user)
        assert ResearchGroup.objects.filter(slug="new-lab").exists()
        with pytest.raises(PermissionDenied):
            services.delete_group(group, actor=pi)
        services.delete_group(group, actor=admin_user)
        assert not ResearchGroup.objects.filter(slug="new-lab").exists()


class TestAdmin:
    def add_group(self, client, pi, *members):
        data = {"name": "Admin Lab", "slug": "admin-lab", "pi": pi.pk, "organisation_unit": "medicine", "active": "on",
                "memberships-TOTAL_FORMS": str(len(members)), "memberships-INITIAL_FORMS": "0"}  # fmt: skip
        for index, (user, role) in enumerate(members):
            data.update({f"memberships-{index}-user": user.pk, f"memberships-{index}-role": role,
                         f"memberships-{index}-joined_at_0": "2026-01-05",
                         f"memberships-{index}-joined_at_1": "09:00:00"})  # fmt: skip
        return client.post(reverse("admin:projects_researchgroup_add"), data)

    def test_a_group_added_in_the_admin_gets_its_pi_as_member(self, client, admin_user, pi):
        client.force_login(admin_user)
        assert self.add_group(client, pi).status_code == 302
        group = ResearchGroup.objects.get(slug="admin-lab")
        assert group.memberships.get().role == MembershipRole.PI

    def test_the_pi_may_also_be_listed_among_the_members(self, client, admin_user, pi):
        client.force_login(admin_user)
        assert self.add_group(client, pi, (pi, MembershipRole.MEMBER)).status_code == 302
        group = ResearchGroup.objects.get(slug="admin-lab")
        assert group.memberships.get(user=pi).role == MembershipRole.PI
