"""One visitor's session: their models, their drawings, what they may start, which model answers.

The page keeps one `Session` in `st.session_state` and asks it; nothing here imports
Streamlit, so these rules have plain unit tests. A model is named by its registry name
("pooled") or, for a model the visitor uploaded, by "yours:<file name>".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cnn_demo.architectures import ARCHITECTURES
from cnn_demo.collection import Collection
from cnn_demo.data import Mnist
from cnn_demo.fitting import TrainingConfig
from cnn_demo.inference import Predictor, Scorecard, scorecard
from cnn_demo.jobs import TrainingJob, TrainingSlots, fine_tuning, fresh_training

if TYPE_CHECKING:
    import keras

OWN = "yours:"
MAX_OWN_MODELS = 3  # uploaded models a session keeps (the oldest goes first)
ABANDON_AFTER_SECONDS = 30  # a training whose page has not polled for this long was closed
SWEEP_SECONDS = 15  # how often closed tabs' sessions past their TTL are let go
# Sweeps that collect and report after one let sessions go: a let-go session's AppSession
# shuts down on the event loop after the sweep (one more), and a closed tab's training holds
# its session until it notices nobody polls (ABANDON_AFTER_SECONDS): with two, a CI run on a
# slower CPU reported that session still in memory.
REPORTING_SWEEPS = 2 + -(-ABANDON_AFTER_SECONDS // SWEEP_SECONDS)


@dataclass(frozen=True)
class OwnModel:
    name: str  # "yours:my_net.keras"
    file_name: str
    model: keras.Model
    predictor: Predictor

    @property
    def label(self) -> str:
        return f"Yours: {self.file_name}"


@dataclass(frozen=True)
class Choice:
    """The model that reads the drawing: a registry architecture or an uploaded model, with the
    shipped or uploaded weights or this session's training of them."""

    name: str
    predictor: Predictor | None  # None: the shipped weights are unavailable and none trained here
    trained_here: bool
    base_label: str  # "Pooled", "Yours: my_net.keras"
    description: str
    job_kind: str = "trained"  # "trained" or "fine-tuned", when trained_here

    @property
    def is_own(self) -> bool:
        return self.name.startswith(OWN)

    @property
    def label(self) -> str:
        if self.trained_here:
            return f"{self.base_label}, {self.job_kind} here"
        return f"{self.base_label}, {'uploaded' if self.is_own else 'shipped'}"


class Session:
    def __init__(self, mnist: Mnist, slots: TrainingSlots, abandon_after: float | None = None) -> None:
        self.mnist = mnist
        self.slots = slots
        self.abandon_after = abandon_after
        self.jobs: dict[str, TrainingJob] = {}  # the latest training of each model
        self.own_models: dict[str, OwnModel] = {}
        self.collection = Collection()
        self._scorecards: dict[object, Scorecard] = {}

    # --- models ---

    def names(self) -> list[str]:
        """Every model the visitor can choose: the registry's, then their own uploads."""
        return [*ARCHITECTURES, *self.own_models]

    def label(self, name: str) -> str:
        return self.own_models[name].label if name in self.own_models else ARCHITECTURES[name].label

    def add_own_model(self, file_name: str, model: keras.Model) -> str:
        """Keep an uploaded (already checked) model for this session; returns its name."""
        name = f"{OWN}{file_name}"
        self.own_models.pop(name, None)
        self.jobs.pop(name, None)
        while len(self.own_models) >= MAX_OWN_MODELS:
            oldest = next(iter(self.own_models))
            del self.own_models[oldest]
            self.jobs.pop(oldest, None)
        self.own_models[name] = OwnModel(name, file_name, model, Predictor(model))
        return name

    def choose(self, name: str, trained: bool, shipped: dict[str, Predictor]) -> Choice:
        """This session's training of `name` when asked for and there is one, else the shipped
        (or uploaded) model."""
        job = self.jobs.get(name)
        if name in self.own_models:
            own = self.own_models[name]
            base, description, predictor = own.label, (
                f"Your model, uploaded for this session: {own.model.count_params():,} parameters, "
                f"{len(own.predictor.layers)} layers. Nobody else sees it."), own.predictor
        else:
            arch = ARCHITECTURES[name]
            base, description, predictor = arch.label, arch.description, shipped.get(name)
        if trained and job is not None:
            return Choice(name, job.predictor, True, base, description, job.kind)
        return Choice(name, predictor, False, base, description)

    # --- trainings ---

    def running_job(self) -> TrainingJob | None:
        """This session's job that is training or waiting for a slot, if any."""
        return next((job for job in self.jobs.values() if job.running), None)

    def _refusal(self) -> str | None:
        busy = self.running_job()
        if busy is not None:
            return f"{busy.title} is still training: stop it before starting another."
        return None

    def start(self, name: str, config: TrainingConfig) -> str | None:
        """Train a fresh `name` on MNIST; a refusal in one sentence if another of this session's runs."""
        refusal = self._refusal()
        if refusal is None:
            self.jobs[name] = fresh_training(name, config, self.mnist, self.slots, self.abandon_after).start()
        return refusal

    def fine_tune(self, choice: Choice) -> str | None:
        """Fine-tune the chosen model on this session's drawings, mixed with MNIST; a refusal in one
        sentence when another run is going or there is nothing to learn from."""
        if len(self.collection) == 0:
            return "Add a few of your own drawings first: fine-tuning learns from them."
        if choice.predictor is None:
            return "There is no model to fine-tune: train or upload one first."
        refusal = self._refusal()
        if refusal is None:
            file_name = self.own_models[choice.name].file_name.removesuffix(".keras") if choice.is_own \
                else choice.name
            self.jobs[choice.name] = fine_tuning(choice.base_label, file_name, choice.predictor.model,
                                                 self.collection.split(), self.mnist, self.slots,
                                                 self.abandon_after).start()
        return refusal

    # --- reports ---

    def scorecard(self, owner: object, predictor: Predictor) -> Scorecard:
        """The test-set report of a finished training or an uploaded model, computed once each.

        Keyed by the job or model itself (not `id()`, which Python reuses once one is freed),
        and dropped once that job or model is no longer this session's.
        """
        current = {*self.jobs.values(), *(own.model for own in self.own_models.values())}
        self._scorecards = {o: card for o, card in self._scorecards.items() if o in current}
        if owner not in self._scorecards:
            self._scorecards[owner] = scorecard(predictor, self.mnist.test.x, self.mnist.test.y)
        return self._scorecards[owner]


def describe(job: TrainingJob) -> str:
    """What a session's training of a model is, in a few words."""
    snap = job.progress.snapshot()
    if job.running:
        return "still training: its answers change as it learns"
    if snap.error:
        return "training failed"
    if snap.stopped and snap.latest is not None:
        return f"stopped early, in epoch {snap.latest.epoch + 1} of {snap.epochs}: partly trained"
    if snap.stopped:
        return "stopped before it began: untrained"
    if job.kind == "fine-tuned":
        return f"fine-tuned for {snap.epochs} epoch(s) on your drawings mixed with MNIST"
    return f"trained for {snap.epochs} epoch(s) on {job.images:,} images"
