"""Map raw confidence scores to calibrated probabilities, per field."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Calibrator:
    """Calibration maps per field. `method` says which was used: "none", "isotonic" or "platt"."""

    method: str = "none"
    maps: dict = field(default_factory=dict)  # field -> callable(raw) -> calibrated

    @classmethod
    def identity(cls) -> "Calibrator":
        return cls()

    def apply(self, field_name: str, raw: float) -> float:
        function = self.maps.get(field_name)
        if function is None:
            return raw
        return float(min(max(function(raw), 0.0), 1.0))
