"""Invitations by e-mail: the PI or a manager invites, the invited person accepts once, in time."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from projects import services
from projects.models import Invitation, Membership, MembershipRole
from tests.helpers import PASSWORD

pytestmark = pytest.mark.django_db


def invite_url(group):
    return reverse("projects:invitation_create", args=[group.slug])


def revoke_url(invitation):
    return reverse("projects:invitation_revoke", args=[invitation.group.slug, invitation.pk])


def link(token):
    return reverse("projects:invitation", args=[token])


@pytest.fixture
def newcomer(make_user):
    return make_user("newcomer", email="Newcomer@Example.org")


@pytest.fixture
def invited(group, pi):
    """An invitation of newcomer@example.org to the group as a member, and its link's secret."""
    return services.invite_member(group, email="newcomer@example.org", role=MembershipRole.MEMBER, actor=pi)


def test_the_pi_invites_and_the_link_arrives_by_mail(client, group, pi, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(pi)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(group), {"invite-email": "someone@example.org", "invite-role": "member"})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == ("someone@example.org", "member", pi)
    assert invitation.expires_at - timezone.now() > datetime.timedelta(days=13, hours=23)
    [mail] = mailoutbox
    assert mail.to == ["someone@example.org"]
    token = re.search(r"/invitations/([^/\s]+)/", mail.body).group(1)
    assert invitation.token_hash != token  # only the hash is kept
    assert services.find_invitation(token) == invitation
    page = client.get(group.get_absolute_url())
    assert "someone@example.org" in page.text


def test_a_manager_invites_a_manager_as_they_could_add_one(client, group, manager):
    client.force_login(manager)
    response = client.post(invite_url(group), {"invite-email": "new@example.org", "invite-role": "manager"})
    assert response.status_code == 302
    assert Invitation.objects.get().role == MembershipRole.MANAGER


def test_no_invitation_hands_on_the_pi_role(client, group, pi):
    client.force_login(pi)
    response = client.post(invite_url(group), {"invite-email": "new@example.org", "invite-role": "pi"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"invite-email": "not an address", "invite-role": "member"}, "Enter a valid email address."),
        ({"invite-email": "member@example.org", "invite-role": "member"}, "is already a member of Stem Cell Lab"),
        ({"invite-email": "NEWCOMER@example.org", "invite-role": "member"}, "has an invitation to Stem Cell Lab"),
    ],
)
def test_bad_invitations_are_refused_with_a_message(client, group, pi, member, invited, data, message):
    client.force_login(pi)
    response = client.post(invite_url(group), data)
    assert response.status_code == 400
    assert message in response.text
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize("who", ["member", "outsider", "reviewer"])
def test_non_managers_get_403_on_invite_and_revoke(client, group, invited, request, who):
    invitation, _token = invited
    client.force_login(request.getfixturevalue(who))
    assert client.post(invite_url(group), {"invite-email": "x@example.org", "invite-role": "member"}).status_code == 403
    assert client.post(revoke_url(invitation)).status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert Invitation.objects.count() == 1
    assert "newcomer@example.org" not in client.get(group.get_absolute_url()).text


def test_the_invited_person_accepts_and_becomes_a_member(client, group, newcomer, invited):
    invitation, token = invited
    client.force_login(newcomer)
    page = client.get(link(token))
    assert page.status_code == 200
    assert "Accept the invitation" in page.text
    response = client.post(link(token))
    assert response.status_code == 302
    assert response.url == group.get_absolute_url()
    assert Membership.objects.get(group=group, user=newcomer).role == MembershipRole.MEMBER
    invitation.refresh_from_db()
    assert (invitation.accepted_by, invitation.is_pending) == (newcomer, False)


def test_the_link_leads_through_the_login_and_back(client, newcomer, invited):
    _invitation, token = invited
    response = client.get(link(token))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={link(token)}"
    login_page = client.get(response.url)
    assert f'name="next" value="{link(token)}"' in login_page.text
    response = client.post(reverse("login"), {"username": "newcomer", "password": PASSWORD, "next": link(token)})
    assert response.url == link(token)
    assert "Accept the invitation" in client.get(response.url).text


def test_a_used_invitation_does_not_work_again(client, group, newcomer, invited):
    _invitation, token = invited
    client.force_login(newcomer)
    client.post(link(token))
    Membership.objects.filter(user=newcomer).delete()  # removed from the group later: the link stays used
    response = client.post(link(token), follow=True)
    assert "This invitation has been used already." in response.text
    assert "Accept the invitation" not in response.text
    assert not Membership.objects.filter(user=newcomer).exists()


def test_an_expired_invitation_is_refused(client, newcomer, invited):
    invitation, token = invited
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    client.force_login(newcomer)
    assert "This invitation expired on" in client.get(link(token)).text
    response = client.post(link(token), follow=True)
    assert "This invitation expired on" in response.text
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_revoked_invitation_is_refused(client, group, pi, newcomer, invited):
    invitation, token = invited
    client.force_login(pi)
    response = client.post(revoke_url(invitation), follow=True)
    assert "The invitation to newcomer@example.org was revoked." in response.text
    assert "No invitations are waiting for an answer." in response.text
    client.force_login(newcomer)
    response = client.post(link(token), follow=True)
    assert "This invitation was revoked by the group." in response.text
    assert not Membership.objects.filter(user=newcomer).exists()


def test_a_revoked_invitation_is_not_revoked_again(client, pi, invited):
    invitation, _token = invited
    client.force_login(pi)
    client.post(revoke_url(invitation))
    response = client.post(revoke_url(invitation), follow=True)
    assert "Only a pending invitation can be revoked." in response.text


def test_someone_else_with_the_link_is_told_it_is_not_for_them(client, group, member, invited):
    invitation, token = invited
    client.force_login(member)
    for response in (client.get(link(token)), client.post(link(token))):
        assert response.status_code == 403
        assert "This invitation is for someone else" in response.text
        assert "newcomer@example.org" not in response.text
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_an_unknown_link_is_404(client, member):
    client.force_login(member)
    assert client.get(link("no-such-token")).status_code == 404


def test_an_existing_member_is_told_so(client, group, member, pi):
    _invitation, token = services.invite_member(group, email="other@example.org", role="member", actor=pi)
    member.email = "other@example.org"
    member.save()
    client.force_login(member)
    response = client.post(link(token), follow=True)
    assert "You are a member of Stem Cell Lab already." in response.text


@pytest.mark.parametrize("count", [1, 30])
def test_the_group_page_runs_few_queries_however_many_invitations(
    client, group, pi, count, django_assert_max_num_queries
):
    for n in range(count):
        services.invite_member(group, email=f"person{n}@example.org", role="member", actor=pi)
    client.force_login(pi)
    with django_assert_max_num_queries(10):
        response = client.get(group.get_absolute_url())
    assert response.text.count("Revoke<span") == count


def test_administrators_read_invitations_and_applications_in_the_admin(client, admin_user, invited):
    invitation, _token = invited
    client.force_login(admin_user)
    for model in ("invitation", "groupapplication"):
        assert client.get(f"/admin/projects/{model}/").status_code == 200
        assert client.get(f"/admin/projects/{model}/add/").status_code == 403
    page = client.get(f"/admin/projects/invitation/{invitation.pk}/change/")
    assert page.status_code == 200
    assert "newcomer@example.org" in page.text
    assert invitation.token_hash not in page.text
