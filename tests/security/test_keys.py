"""Field encryption with AES-256-GCM and rotation without downtime."""

from __future__ import annotations

import stat

import pytest
from sqlalchemy import select, text

from lantern import keys
from lantern.db import transaction
from lantern.incidents import service as incident_service
from lantern.kit.scope import RowScope
from lantern.models import IncidentParty
from lantern.people import service as people_service
from lantern.people.schemas import PartyCreate
from lantern.security.access import Purpose
from lantern.security.crypto import KeyringError, load_keyring, new_keyring
from lantern.security.policy import Principal
from tests.support.writer_data import one_incident


def test_round_trip_and_context_binding():
    ring = new_keyring(None)
    token = ring.encrypt("+358 40 111 2222", "incident_parties.phone")
    assert token.startswith("enc:v1:") and "358" not in token
    assert ring.decrypt(token, "incident_parties.phone") == "+358 40 111 2222"
    with pytest.raises(KeyringError, match="failed authentication"):
        ring.decrypt(token, "incident_parties.name")  # copied into another column


def test_a_flipped_ciphertext_bit_is_detected():
    ring = new_keyring(None)
    token = ring.encrypt("secret", "c")
    head, payload = token.rsplit(":", 1)
    tampered = head + ":" + ("A" if payload[5] != "A" else "B").join([payload[:5], payload[6:]])
    with pytest.raises(KeyringError):
        ring.decrypt(tampered, "c")


def test_each_encryption_uses_a_fresh_nonce():
    ring = new_keyring(None)
    assert ring.encrypt("same", "c") != ring.encrypt("same", "c")


def test_the_keyring_file_is_private(fresh_runtime):
    path = fresh_runtime.settings.keyring_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_production_refuses_to_invent_a_keyring(tmp_path):
    with pytest.raises(KeyringError, match="lantern keys init"):
        load_keyring(tmp_path / "missing.json", create=False)


def test_rotation_reencrypts_everything_and_old_values_stay_readable(fresh_runtime):
    actor = Principal.system("tests")
    with transaction(fresh_runtime.sessions) as session:
        incident_id = one_incident(session)
        for number in range(1, 1201):  # more than two batches of 500
            people_service.create(
                session,
                actor,
                incident_id,
                PartyCreate(role="caller", name=f"Caller {number}", phone=f"+35840{number:07d}"),
            )
    old_primary = fresh_runtime.keyring.primary.id
    report = keys.rotate(fresh_runtime)
    assert report.reencrypted["incident_parties"] == 1200
    assert old_primary in report.retired and report.new_key != old_primary
    ring = load_keyring(fresh_runtime.settings.keyring_path, create=False)
    assert ring.primary.id == report.new_key
    with transaction(fresh_runtime.sessions) as session:
        key_ids = {ring.key_id_of(v) for v in session.scalars(select(IncidentParty.phone_enc))}
        assert key_ids == {report.new_key}
        purpose = Purpose(f"incident:{incident_id}", "rotation check")
        people = people_service.read_personal(session, actor, incident_id, purpose)
        assert people[0].name == "Caller 1"
    # a second rotation has nothing old left to re-encrypt beyond the last key's rows
    again = keys.rotate(fresh_runtime)
    assert again.reencrypted["incident_parties"] == 1200


def test_a_running_process_picks_up_a_rotated_keyring(fresh_runtime):
    actor = Principal.system("tests")
    with transaction(fresh_runtime.sessions) as session:
        incident_id = one_incident(session)
    keys.rotate(fresh_runtime)
    rotated = load_keyring(fresh_runtime.settings.keyring_path, create=False)
    with transaction(fresh_runtime.sessions) as session:
        party = people_service.create(session, actor, incident_id, PartyCreate(role="victim", name="N", phone="123456"))
        stored = session.execute(
            text("SELECT phone_enc FROM incident_parties WHERE id = :i"), {"i": party.id}
        ).scalar_one()
    assert rotated.key_id_of(stored) == rotated.primary.id
    assert incident_service.count(session, RowScope.everything()) >= 1
