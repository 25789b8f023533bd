"""Reading EIDO without the app: CAD references, times, priorities, callbacks, locations."""

from datetime import UTC, datetime

import pytest

from heart_field.domain import eido


def test_a_long_incident_id_keeps_its_start_and_a_hash():
    short = "urn:emergency:uid:incidentid:2026-1:ecc.example"
    assert eido.cad_reference(short) == "2026-1:ecc.example"
    one = "urn:emergency:uid:incidentid:" + "a" * 60 + ":one.example"
    two = "urn:emergency:uid:incidentid:" + "a" * 60 + ":two.example"
    assert len(eido.cad_reference(one)) == 40
    assert eido.cad_reference(one) != eido.cad_reference(two)
    assert eido.cad_reference(one) == eido.cad_reference(one)


def test_times_priority_and_callback():
    call = eido.read(
        {
            "$id": "x-1",
            "incidentComponent": {"incidentCommonPriorityNumber": 1.0},
            "callComponent": [
                {"answerDate": "2026-11-30T19:02:00.123456789Z"},
                {"callStartTimestamp": "2026-11-30T14:01:00-05:00"},
            ],
            "callbackComponent": [
                {"callBackInformationUri": ["sip:1@x", "tel:+1-919-555-0100;ext=2"]}
            ],
        }
    )
    assert call.received_at == datetime(2026, 11, 30, 19, 1, tzinfo=UTC)
    assert call.incident_input.priority == 1
    assert call.incident_input.callback_phone == "+1-919-555-0100"


@pytest.mark.parametrize(
    ("document", "part"),
    [
        ({"$id": ""}, "$id"),
        (
            {"$id": "x", "callComponent": [{"callStartTimestamp": "2026-11-30T14:01:00"}]},
            "callComponent[0].callStartTimestamp",
        ),
        ({"$id": "x", "notesComponent": "note"}, "notesComponent"),
    ],
)
def test_what_cannot_be_read_is_named(document, part):
    with pytest.raises(eido.EidoError) as refused:
        eido.read(document)
    assert refused.value.part == part


def test_the_preferred_location_wins_over_the_routing_one():
    def civic(city):
        return (
            '<presence xmlns="urn:ietf:params:xml:ns:pidf"><civicAddress '
            'xmlns="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr">'
            f"<A1>NC</A1><A3>{city}</A3><HNO>1</HNO><RD>Main</RD><STS>St</STS>"
            "</civicAddress></presence>"
        )

    call = eido.read(
        {
            "$id": "x",
            "locationComponent": [
                {
                    "locationTypeDescriptionRegistryText": "RoutingLocation",
                    "locationByValue": civic("Raleigh"),
                },
                {
                    "locationTypeDescriptionRegistryText": "CurrentIncident",
                    "locationByValue": civic("Durham"),
                },
            ],
        }
    )
    assert call.incident_input.address == "1 Main St, Durham, NC"
