"""The map shown is the decided class's: on a film called normal it is the gradient map of -logit (the evidence for
"Normal"), the same on TensorFlow and ONNX Runtime, named on the result (`map_of`) and kept in the history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr
from test_analyze_service import _square_png

from xray_desktop.explain import cam_math
from xray_desktop.models.registry import Registry
from xray_desktop.security.permissions import Role
from xray_desktop.services.analyze import analyze_image
from xray_desktop.services.providers import default_provider
from xray_desktop.services.session import Session
from xray_desktop.storage.history import result_from_record, result_to_record


def _films(square_images, n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    images, labels, _ = square_images(16, seed=11)
    return images[labels == 0][:n, ..., None].astype(np.float32), images[labels == 1][:n, ..., None].astype(np.float32)


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "layercam"])
def test_a_negative_decision_maps_the_gradient_of_minus_the_logit(tiny_square_model, square_images, method) -> None:
    from xray_desktop.explain.cam import CamExplainer

    explainer = CamExplainer(tiny_square_model, method)
    negatives, _ = _films(square_images)
    _, acts, grads = explainer.activations_and_gradients(negatives)
    expected = cam_math.cam(method, acts, [-g for g in grads])
    _, decided, _ = explainer.explain(negatives, decide=lambda _p: False)
    _, condition, _ = explainer.explain(negatives)
    assert np.allclose(decided, expected, atol=1e-6)
    assert np.allclose(explainer.explain(negatives, decide=lambda _p: True)[1], condition)
    assert not np.allclose(decided, condition, atol=1e-2)  # a different map, not a relabelled one


def test_each_film_gets_its_own_decision_in_a_batch(tiny_square_model, square_images) -> None:
    from xray_desktop.explain.cam import CamExplainer

    explainer = CamExplainer(tiny_square_model, "gradcam")
    negatives, positives = _films(square_images, 2)
    batch = np.concatenate([negatives, positives])
    probs, maps, _ = explainer.explain(batch, decide=lambda p: p >= 0.5)
    assert (probs[:2] < 0.5).all() and (probs[2:] >= 0.5).all()
    assert np.allclose(maps[:2], explainer.explain(negatives, decide=lambda _p: False)[1], atol=1e-6)
    assert np.allclose(maps[2:], explainer.explain(positives)[1], atol=1e-6)


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "scorecam"])
def test_decided_maps_agree_between_tensorflow_and_onnx_runtime(tiny_models_dir, square_images, method) -> None:
    registry = Registry.load(tiny_models_dir / "registry.json")
    entry = registry.get("tiny-pneumonia")
    keras_side = default_provider(registry, backend="tensorflow").load(entry).explainer(method)
    onnx_side = default_provider(registry, backend="onnxruntime").load(entry).explainer(method)
    negatives, _ = _films(square_images, 3)
    _, tf_maps, _ = keras_side.explain(negatives, decide=lambda _p: False)
    _, ort_maps, _ = onnx_side.explain(negatives, decide=lambda _p: False)
    for a, b in zip(tf_maps, ort_maps, strict=True):
        assert spearmanr(a.ravel(), b.ravel()).statistic >= 0.999


def test_the_result_names_the_class_its_map_explains(tiny_models_dir, tmp_path: Path) -> None:
    manager = default_provider(Registry.load(tiny_models_dir / "registry.json"))
    session = Session("dr.test", Role.DOCTOR)
    negative, _ = _square_png(tmp_path, "negative.png", square=False)
    positive, _ = _square_png(tmp_path, "positive.png", square=True)
    normal = analyze_image(session, negative, manager=manager, tasks="pneumonia").results[0]
    ill = analyze_image(session, positive, manager=manager, tasks="pneumonia").results[0]
    assert (normal.decision, normal.map_of, normal.to_json()["map_of"]) == (False, "Normal", "Normal")
    assert (ill.decision, ill.map_of) == (True, "Pneumonia")
    assert result_from_record(result_to_record(normal)).map_of == "Normal"
    hidden = analyze_image(session, negative, manager=manager, tasks="pneumonia", explain=False).results[0]
    assert hidden.heatmap is None and hidden.map_of is None  # no map, so no claim about one


def test_checking_a_normal_films_map_scores_it_on_the_probability_of_normal(tiny_models_dir, tmp_path: Path) -> None:
    from xray_desktop.explain.faithfulness import check_map
    from xray_desktop.imaging.loader import load_radiograph
    from xray_desktop.imaging.preprocess import prepare_input
    from xray_desktop.services.map_check import check_task_map

    manager = default_provider(Registry.load(tiny_models_dir / "registry.json"))
    session = Session("dr.test", Role.DOCTOR)
    path, _ = _square_png(tmp_path, "negative.png", square=False)
    result = analyze_image(session, path, manager=manager, tasks="pneumonia").results[0]
    radiograph = load_radiograph(path)
    check_task_map(session, radiograph, result, manager=manager)

    loaded = manager.load(manager.registry.get(result.model_id))
    image = prepare_input(radiograph.pixels, loaded.entry.spec)
    _, normal_map, _ = loaded.explainer("gradcam").explain(image[None], decide=lambda _p: False)
    seed = int(radiograph.sha256[:8], 16)
    on_normal = check_map(lambda b: 1.0 - loaded.predict_raw(b), image, normal_map[0], seed=seed)
    on_condition = check_map(loaded.predict_raw, image, normal_map[0], seed=seed)
    assert result.map_faithfulness == pytest.approx(on_normal.score)
    assert on_normal.score != pytest.approx(on_condition.score)
