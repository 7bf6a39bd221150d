"""What every screen that talks to the services shares: calls run in worker threads.

Database work never runs on the UI thread: `call_service` runs a service call in a
thread worker and hands the result back to the UI thread; domain errors become a
message on screen, anything unexpected is logged and shown without a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from officeconsole.services.common.errors import OfficeError, PermissionDenied

if TYPE_CHECKING:
    from officeconsole.tui.app import OfficeApp


class ServiceCalls:
    """Mixin for screens: run service calls off the UI thread."""

    app: OfficeApp

    def call_service(
        self,
        fn: Callable[..., Any],
        *args: Any,
        then: Callable[[Any], None] | None = None,
        on_error: Callable[[OfficeError], None] | None = None,
        group: str = "service",
        exclusive: bool = False,
        **kwargs: Any,
    ) -> Worker:
        def job() -> None:
            worker = get_current_worker()
            try:
                result = fn(*args, **kwargs)
            except OfficeError as exc:
                signed_out = isinstance(exc, PermissionDenied) and self.app.ctx.actor is None
                if not worker.is_cancelled and not signed_out:  # work left over from before a log-out
                    self.app.call_from_thread(on_error or self.show_error, exc)
                return
            if then is not None and not worker.is_cancelled:
                self.app.call_from_thread(then, result)

        return self.run_worker(job, thread=True, group=group, exclusive=exclusive,  # type: ignore[attr-defined]
                               exit_on_error=False)

    def allowed(self, permission: str) -> bool:
        """Check early so a refused action says so at once; the service checks again anyway."""
        from officeconsole.services.common import permissions
        from officeconsole.services.common.errors import PermissionDenied

        actor = self.app.ctx.actor
        try:
            permissions.check(actor.role if actor else "front_desk", permission)
        except PermissionDenied as exc:
            self.show_error(exc)
            return False
        return True

    def show_error(self, exc: OfficeError) -> None:
        self.app.notify(exc.message, severity="error", markup=False, timeout=8)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            from officeconsole import error_log

            error = event.worker.error
            if (cause := error_log.known_cause(error)) is not None:
                self.app.notify(cause, severity="error", markup=False, timeout=15)
                return
            error_id = error_log.record(error, getattr(self.app, "paths", None))
            self.app.notify(f"Something unexpected went wrong ({type(error).__name__}, error {error_id}): the step "
                            f"that failed was undone. The details are in {error_log.log_path(self.app.paths)}.",
                            severity="error", markup=False, timeout=10)


class ServiceScreen(ServiceCalls, Screen):
    ACTION_PERMISSIONS: ClassVar[dict[str, str]] = {}  # action -> what a role needs for the key to be offered

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A key whose action the signed-in role may not use is neither shown nor run."""
        needed = self.ACTION_PERMISSIONS.get(action)
        if needed is None:
            return True
        from officeconsole.services.common import permissions

        actor = self.app.ctx.actor if self.app.ctx is not None else None
        return actor is not None and permissions.allowed(actor.role, needed)


ResultT = TypeVar("ResultT")


class ServiceModal(ServiceCalls, ModalScreen[ResultT], Generic[ResultT]):
    pass
