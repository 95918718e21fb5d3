"""NENA EIDO: exports validate against the official schema; the official sample imports."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from lantern.dispatch import eido
from lantern.dispatch import service as dispatch_service
from lantern.dispatch.schemas import CallCreate
from lantern.errors import ValidationFailed
from lantern.models import Alert, EidoInbox, IncidentParty
from lantern.resources import service as resource_service
from tests.factories.security import principal_for
from tests.support.eido_schema import errors

pytestmark = pytest.mark.shared_data
DESK = principal_for("dispatcher", "desk-eido")


@pytest.fixture
def standards(shared_dir):
    return shared_dir / "standards"


@pytest.fixture
def sample(standards):
    return json.loads((standards / "eido" / "Sample call transfer EIDO.json").read_text())


def test_the_validator_accepts_the_official_sample_and_rejects_a_broken_copy(standards, sample):
    assert errors(standards, sample) == []
    broken = {k: v for k, v in sample.items() if k != "agencyComponent"}
    assert any("agencyComponent" in e for e in errors(standards, broken))


def test_an_exported_incident_validates_against_the_official_schema(session, standards):
    incident = dispatch_service.take_call(
        session, DESK, CallCreate(type_code="ROBB", address="Annankatu 25", narrative="two suspects, fled on foot")
    ).incident
    unit = resource_service.list_units(session)[0]
    unit.status, unit.lat, unit.lon = "available", incident.lat, incident.lon
    dispatch_service.assign(session, DESK, incident.id, [unit.id], override_reason="test")
    document = eido.export_incident(session, DESK, incident.id)
    assert errors(standards, document) == []
    assert document["incidentComponent"]["incidentTypeCommonRegistryText"] == "Robbery"
    assert document["emergencyResourceComponent"][0]["emergencyResourceName"] == unit.callsign
    assert "+358" not in json.dumps(document)  # no caller identity leaves without a purpose


def test_our_export_imports_back_at_the_same_place(session):
    original = dispatch_service.take_call(session, DESK, CallCreate(type_code="MVC", address="Bulevardi 10")).incident
    document = eido.export_incident(session, DESK, original.id)
    result = eido.import_document(session, DESK, document)
    copy = result.incident
    assert copy is not None and copy.id != original.id
    assert (round(copy.lat, 6), round(copy.lon, 6)) == (round(original.lat, 6), round(original.lon, 6))
    assert copy.type_code == "MVC" and copy.priority == original.priority and copy.natural_key.startswith("E")


def test_the_official_sample_imports_into_the_inbox_when_it_cannot_be_placed(session, sample):
    result = eido.import_document(session, DESK, sample)
    assert result.incident is None and result.inbox_id is not None
    entry = session.get(EidoInbox, result.inbox_id)
    assert entry.sending_agency == "state.pa.us"
    assert entry.summary["civic"]["A3"] == "Wilmington" and entry.summary["callbacks"] == 1
    assert "8195551212" not in json.dumps(entry.summary) and entry.document_enc.startswith("enc:v1:")
    alert = session.scalars(select(Alert).where(Alert.kind == "eido_needs_location")).one()
    assert "Wilmington" in alert.title


def test_a_placeable_transfer_keeps_the_callback_number_encrypted(session, sample):
    located = json.loads(json.dumps(sample))
    located["locationComponent"][0]["locationByValue"] = eido.pidf_lo("pres:x", 60.1699, 24.9384)
    result = eido.import_document(session, DESK, located)
    assert result.incident is not None
    party = session.scalars(select(IncidentParty).where(IncidentParty.incident_id == result.incident.id)).one()
    assert party.role == "caller" and "8195551212" not in party.phone_enc


def test_a_document_that_is_not_an_eido_is_refused(session):
    with pytest.raises(ValidationFailed, match="missing eidoVersion"):
        eido.import_document(session, DESK, {"$id": "x", "issuingElementIdentification": "y", "agencyComponent": []})


def test_pidf_lo_round_trip():
    text = eido.pidf_lo("pres:1", 60.17, 24.94, {"RD": "Annankatu", "HNO": "25"})
    point, civic = eido.parse_pidf_lo(text)
    assert point == (60.17, 24.94) and civic == {"RD": "Annankatu", "HNO": "25"}
