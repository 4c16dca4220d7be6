"""Server-side pieces of the dashboard, loaded by the Voila process (never by a lesson or by ``ptsim``).

``ptsim dashboard`` names :class:`ClassroomKernelManager` on Voila's command line
(:func:`ptsim.teaching.dashboard.voila_command`); Voila imports it in its own process.
"""

from __future__ import annotations

import os

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado import web
from traitlets import Integer

FULL_STATUS = 503
"""HTTP status of the page a student gets when the dashboard is full (Service Unavailable)."""


def full_message(max_kernels: int) -> str:
    """What a student sees when every place is taken (one line, the page's heading)."""
    return (
        f"The dashboard is full ({max_kernels} session{'' if max_kernels == 1 else 's'} open). Try again "
        "in a minute, or ask your "
        "instructor: a place frees up when someone closes their tab."
    )


class ClassroomKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager with a cap on the number of kernels (one per browser tab).

    Beyond the cap, starting a kernel fails with HTTP 503 and a one-line explanation, which Voila
    shows as the page instead of the dashboard; the server and the sessions already open carry on.

    Kernels run at a lower scheduling priority than the server (``kernel_niceness``): when a class
    arrives at once and the kernels' simulations take every core, the server still answers at once,
    so that pages and their scripts load, and each page shows that it is computing, instead of the
    browsers giving up on a server that does not answer (measured in docs/performance.md).
    """

    max_kernels = Integer(
        40, min=1, config=True, help="Most kernels (dashboard sessions) running or starting at once."
    )
    kernel_niceness = Integer(
        10,
        min=0,
        max=19,
        config=True,
        help="How much lower the kernels' priority is than the server's (nice).",
    )

    def _kernels_in_use(self) -> int:
        # Kernels still starting are in _pending_kernels until they are ready: count them, so that a
        # class arriving at once cannot overshoot the cap.
        return len(set(self._kernels) | set(self._pending_kernels))

    async def start_kernel(self, *args, **kwargs):  # type: ignore[override]  # async, as jupyter_server's
        """Start a kernel, or raise ``tornado.web.HTTPError(503)`` if ``max_kernels`` are in use."""
        in_use = self._kernels_in_use()
        if in_use >= self.max_kernels:
            self.log.warning(
                "dashboard full: %d of %d sessions in use; a request was refused", in_use, self.max_kernels
            )
            raise web.HTTPError(FULL_STATUS, reason=full_message(self.max_kernels))
        kernel_id = await super().start_kernel(*args, **kwargs)
        self._lower_priority(kernel_id)
        return kernel_id

    def _lower_priority(self, kernel_id: str) -> None:
        process = getattr(getattr(self.get_kernel(kernel_id), "provisioner", None), "process", None)
        if process is None or not self.kernel_niceness or not hasattr(os, "setpriority"):
            return  # not a local process, or not POSIX: nothing to lower
        try:
            current = os.getpriority(os.PRIO_PROCESS, process.pid)
            os.setpriority(os.PRIO_PROCESS, process.pid, min(current + self.kernel_niceness, 19))
        except OSError as exc:  # the kernel has just exited: its own error is reported elsewhere
            self.log.warning("could not lower the priority of kernel %s: %s", kernel_id, exc)
