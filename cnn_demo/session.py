"""One visitor's session: the models it trained, what it may start, and which model answers.

The page keeps one `Session` in `st.session_state` and asks it; nothing here imports
Streamlit, so these rules have plain unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.data import Mnist
from cnn_demo.fitting import TrainingConfig
from cnn_demo.inference import Predictor, Scorecard, scorecard
from cnn_demo.jobs import TrainingJob, TrainingSlots


@dataclass(frozen=True)
class Choice:
    """The model that reads the drawing: an architecture, shipped or trained in this session."""

    name: str
    predictor: Predictor | None  # None: the shipped weights are unavailable and none trained here
    trained_here: bool

    @property
    def label(self) -> str:
        return f"{ARCHITECTURES[self.name].label}, {'trained here' if self.trained_here else 'shipped'}"


class Session:
    def __init__(self, mnist: Mnist, slots: TrainingSlots, abandon_after: float | None = None) -> None:
        self.mnist = mnist
        self.slots = slots
        self.abandon_after = abandon_after
        self.jobs: dict[str, TrainingJob] = {}  # the latest training of each architecture
        self._scorecards: dict[TrainingJob, Scorecard] = {}

    def running_job(self) -> TrainingJob | None:
        """This session's job that is training or waiting for a slot, if any."""
        return next((job for job in self.jobs.values() if job.running), None)

    def start(self, name: str, config: TrainingConfig) -> str | None:
        """Start training `name`; a refusal in one sentence if another of this session's runs."""
        busy = self.running_job()
        if busy is not None:
            return f"{busy.architecture.label} is still training: stop it before starting another."
        self.jobs[name] = TrainingJob(name, config, self.mnist, self.slots, self.abandon_after).start()
        return None

    def choose(self, name: str, trained: bool, shipped: dict[str, Predictor]) -> Choice:
        """This session's model of `name` when asked for and there is one, else the shipped one."""
        job = self.jobs.get(name)
        if trained and job is not None:
            return Choice(name, job.predictor, True)
        return Choice(name, shipped.get(name), False)

    def scorecard(self, job: TrainingJob) -> Scorecard:
        """The test-set report of a finished training, computed once per job.

        Keyed by the job itself (not `id(job)`, which Python reuses once a job is freed),
        and dropped with the job when a new training of the same architecture replaces it.
        """
        current = set(self.jobs.values())
        self._scorecards = {j: card for j, card in self._scorecards.items() if j in current}
        if job not in self._scorecards:
            self._scorecards[job] = scorecard(job.predictor, self.mnist.test.x, self.mnist.test.y)
        return self._scorecards[job]


def describe(job: TrainingJob) -> str:
    """What a session's model of an architecture is, in a few words."""
    snap = job.progress.snapshot()
    if job.running:
        return "still training: its answers change as it learns"
    if snap.error:
        return "training failed"
    if snap.stopped and snap.latest is not None:
        return f"stopped early, in epoch {snap.latest.epoch + 1} of {snap.epochs}: partly trained"
    if snap.stopped:
        return "stopped before it began: untrained"
    return f"trained for {snap.epochs} epoch(s) on {job.config.train_size:,} images"
