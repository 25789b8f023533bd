"""Familiar places (issue 23): writing and reviewing safety and approach notes on a place, the
prior-contact line on the phone's card and the board's call rows, and the repeat-contact report.

Notes are shown only to the crew sent to a call at the place (on its card) and to supervisors
reviewing them; each showing is an audit row. They never go to the board, the API, the live
feed, pushes or the logs.
"""

import csv
import io
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..access import load_referral, roles
from ..domain import places, status
from ..extensions import db
from ..htmx import render_page
from ..models import Incident, Role, User, utcnow
from ..models.places import PlaceNote
from .forms import LinkCallForm, PlaceNoteForm, RepeatReportForm

bp = Blueprint("places", __name__)


def settings() -> places.PlaceSettings:
    config = current_app.config
    return places.PlaceSettings(
        radius_m=config["HEART_PLACE_RADIUS_METRES"],
        lookback_days=config["HEART_PRIOR_CONTACT_DAYS"],
        note_days=config["HEART_PLACE_NOTE_DAYS"],
    )


# --------------------------------------------------------------------------- shown on screens


@bp.app_template_global()
def place_history(incident: Incident) -> places.PriorContacts | None:
    """The prior-contact line for the phone's card: counts only, no personal details."""
    if incident is None:
        return None
    return places.prior_contacts(db.session, incident, utcnow(), settings())


@bp.app_template_global()
def place_histories(incidents) -> dict[int, places.PriorContacts]:
    """The board's prior-contact lines for all its calls, in one query, once per request."""
    if "place_histories" not in g:
        g.place_histories = places.prior_contacts_many(
            db.session, list(incidents), utcnow(), settings()
        )
    return g.place_histories


@bp.app_template_global()
def place_notes_on_card(incident: Incident) -> list[PlaceNote]:
    """The live notes at the place of the signed-in team's own current call (the card shows
    nothing else). Each showing is audited."""
    if incident is None:
        return []
    notes = places.live_notes(db.session, incident, utcnow(), settings())
    if notes:
        _audit_view(incident, notes)
        db.session.commit()
    return notes


def _crew_at(team_id: int, incident: Incident) -> bool:
    """The team is sent to a call at this place now (this call, or another one there)."""
    assignment = status.current_assignment(db.session, team_id)
    if assignment is None:
        return False
    if assignment.incident_id == incident.id:
        return True
    here = places.Place.of(incident)
    there = assignment.incident
    return here.known and here.matches(there.lat, there.lon, there.place_key, settings().radius_m)


def _audit_view(incident: Incident, notes: list[PlaceNote]) -> None:
    ids = ",".join(str(n.id) for n in notes)
    audit.record(
        db.session, current_user, "view_place_notes", "incident", incident.id, f"notes {ids}"[:200]
    )


@bp.route("/places/calls/<int:incident_id>/notes")
@roles(Role.RESPONDER)
def crew_notes(incident_id: int):
    """The place's notes for the crew sent to a call there; anyone else gets 404."""
    incident = db.session.get(Incident, incident_id)
    user: User = current_user
    if incident is None or user.team_id is None or not _crew_at(user.team_id, incident):
        abort(404)
    notes = place_notes_on_card(incident)
    return render_page(
        "places/crew_notes.html", "places/_notes.html", incident=incident, place_notes=notes
    )


# --------------------------------------------------------------------------- writing notes


def _attended_incident(incident_id: int) -> Incident:
    """A call the user was at: anything else is refused as if it did not exist (404)."""
    incident = db.session.get(Incident, incident_id)
    if incident is None or not places.has_attended(db.session, current_user, incident):
        abort(404)
    return incident


@bp.route("/places/calls/<int:incident_id>/note", methods=["GET", "POST"])
@roles(Role.RESPONDER)
def call_note(incident_id: int):
    """A responder's note on the place of a call their team attended (at clear, or later)."""
    incident = _attended_incident(incident_id)
    return _note_form(incident, url_for("field.index"))


@bp.route("/places/referrals/<int:referral_id>/note", methods=["GET", "POST"])
@roles(Role.NAVIGATOR)
def referral_note(referral_id: int):
    """A navigator's note on the place of the call a referral they work came from."""
    referral = load_referral(referral_id, current_user)
    incident = _attended_incident(referral.incident_id)
    return _note_form(incident, url_for("navigation.referral", referral_id=referral.id))


def _note_form(incident: Incident, back: str):
    form = PlaceNoteForm()
    if form.validate_on_submit():
        try:
            places.add_note(
                db.session, incident, current_user, form.text.data, utcnow(), settings()
            )
        except places.NoteRefused as refused:
            form.text.errors = [str(refused)]
        else:
            db.session.commit()
            flash(f"Note kept on the place for {settings().note_days} days.")
            return redirect(back)
    status_code = 422 if form.errors else 200
    return render_page(
        "places/note_form.html",
        "places/_note_form.html",
        status_code,
        form=form,
        incident=incident,
        back=back,
        note_days=settings().note_days,
    )


# --------------------------------------------------------------------------- person links


def _worked_referral(referral_id: int):
    """A referral the signed-in navigator works (claimed); others are refused as absent."""
    referral = load_referral(referral_id, current_user)
    if referral.claimed_by_id != current_user.id:
        abort(404)
    return referral


@bp.route("/places/referrals/<int:referral_id>/links", methods=["GET", "POST"])
@roles(Role.NAVIGATOR)
def referral_links(referral_id: int):
    """Link a new call to the consented person of a referral the navigator works."""
    referral = _worked_referral(referral_id)
    form = LinkCallForm()
    back = url_for("navigation.referral", referral_id=referral.id)
    if form.validate_on_submit():
        incident = db.session.scalar(
            select(Incident).where(Incident.cad_number == form.cad_number.data.strip())
        )
        try:
            places.link_call(db.session, referral, incident, current_user, utcnow())
        except places.LinkRefused as refused:
            form.cad_number.errors = [str(refused)]
        else:
            audit.record(db.session, current_user, "link_call", "referral", referral.id)
            db.session.commit()
            flash(f"Call {incident.cad_number} linked to {referral.reference}.")
            return redirect(back)
    return render_page(
        "places/links.html",
        "places/_links.html",
        422 if form.errors else 200,
        form=form,
        referral=referral,
        back=back,
        linked=places.links_by_referral(db.session, [referral.id]).get(referral.id, []),
        suggestions=places.calls_at_referral_place(db.session, referral, settings()),
    )


@bp.app_template_global()
def referral_new_contacts(referrals) -> dict:
    """The queue's linked calls for all its referrals, in one query, once per request."""
    if "referral_new_contacts" not in g:
        g.referral_new_contacts = places.links_by_referral(db.session, [r.id for r in referrals])
    return g.referral_new_contacts


# --------------------------------------------------------------------------- supervisors


@bp.route("/places/notes")
@roles(Role.SUPERVISOR)
def review():
    """Every note still showing, to review and remove. Showing them is audited."""
    notes = places.notes_for_review(db.session, utcnow())
    if notes:
        audit.record(
            db.session, current_user, "view_place_notes", "place_notes", None, f"{len(notes)} notes"
        )
        db.session.commit()
    return render_page("places/review.html", "places/_review.html", notes=notes)


@bp.route("/places/notes/<int:note_id>/remove", methods=["POST"])
@roles(Role.SUPERVISOR)
def remove(note_id: int):
    note = db.session.get(PlaceNote, note_id)
    if note is None or note.removed_at is not None:
        abort(404)
    places.remove_note(note, current_user, utcnow())
    audit.record(db.session, current_user, "remove_place_note", "place_note", note.id)
    db.session.commit()
    flash("Note removed.")
    return redirect(url_for("places.review"))


# --------------------------------------------------------------------------- the report


def _report():
    form = RepeatReportForm(request.args)
    if not form.validate():
        form.days.data = "90"
    end = utcnow()
    start = end - timedelta(days=int(form.days.data))
    return form, places.repeat_contact_report(db.session, start, end)


@bp.route("/reports/repeat-places")
@roles(Role.SUPERVISOR)
def repeat_report():
    form, report = _report()
    return render_page(
        "places/repeat_report.html", "places/_repeat_report.html", form=form, report=report
    )


@bp.route("/reports/repeat-places.csv")
@roles(Role.SUPERVISOR)
def repeat_report_csv():
    form, report = _report()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["block", "contacts", "previous_period", "trend", "open_referrals", "places"])
    for block in report.blocks:
        writer.writerow(
            [
                block.label,
                block.contacts,
                block.previous,
                block.trend,
                block.open_referrals,
                len(block.places),
            ]
        )
    writer.writerow([])
    writer.writerow(["responses", report.total_responses])
    writer.writerow(["responses_to_repeat_places", report.repeat_responses])
    writer.writerow(["repeat_share", f"{report.repeat_share:.3f}"])
    audit.record(db.session, current_user, "export_csv", "report", "repeat_places")
    db.session.commit()
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="repeat-places-{form.days.data}d.csv"'
        },
    )
