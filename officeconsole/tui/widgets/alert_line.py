"""The patient's alerts on one line ("⚠ Needs an interpreter · Collect the balance"), hidden when
there are none. The text is the patient's record as typed, so it is shown literally (no markup)."""

from __future__ import annotations

from textual.widgets import Static

from officeconsole.services.frontdesk.patient_alerts import PatientAlertService


def alert_text(alerts: list[str] | tuple[str, ...]) -> str:
    return "⚠ " + " · ".join(alerts) if alerts else ""


class AlertLine(Static):
    DEFAULT_CSS = """
    AlertLine { height: auto; color: $warning; text-style: bold; display: none; }
    AlertLine.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def show(self, alerts: list[str] | tuple[str, ...]) -> None:
        self.update(alert_text(alerts))
        self.set_class(bool(alerts), "-shown")

    def load(self, screen, patient_id: int | None) -> None:
        """Read the patient's alerts off the UI thread (`screen` is a ServiceScreen or ServiceModal)."""
        if patient_id is None:
            self.show([])
            return
        screen.call_service(PatientAlertService(screen.app.ctx).alert_texts, [patient_id],
                            then=lambda found: self.show(found.get(patient_id, [])), group="alerts", exclusive=True)
