"""Faithfulness scores where the right answer is known: films whose label is decided by one bright square."""

from __future__ import annotations

import numpy as np

from xray_desktop.explain import faithfulness
from xray_desktop.explain.cam import CamExplainer


def _predictor(model):
    return lambda batch: model(np.asarray(batch, np.float32), training=False).numpy()[:, 0]


def _square_map(box, size: int = 32) -> np.ndarray:
    x, y, w, h = box
    heat = np.zeros((size, size), np.float32)
    heat[y : y + h, x : x + w] = 1.0
    return heat


def test_a_map_on_the_square_scores_well_above_random(tiny_square_model, square_images):
    images, _, boxes = square_images(12, seed=21)
    predict = _predictor(tiny_square_model)
    scores, random_scores = [], []
    for image, box in zip(images, boxes, strict=True):
        if box is None:
            continue
        check = faithfulness.check_map(predict, image[..., None], _square_map(box), grid=8)
        assert check.curves.deletion_auc < check.random_deletion_auc - 0.25  # P falls at once when the square goes
        assert check.curves.insertion_auc >= check.random_insertion_auc  # any revealed part of it is evidence
        assert check.score > 0.85
        scores.append(check.score)
        random_scores.append(check.random_score)
    assert 0.35 <= np.mean(random_scores) <= 0.65  # one film's random baseline is noisy; their mean is about 0.5
    assert np.mean(scores) > np.mean(random_scores) + 0.3


def test_gradcam_points_at_the_square_and_beats_random(tiny_square_model, square_images):
    images, _, boxes = square_images(12, seed=22)
    predict = _predictor(tiny_square_model)
    _, maps = CamExplainer(tiny_square_model, "gradcam")(images[..., None])
    scores, random_scores = [], []
    for image, heat, box in zip(images, maps, boxes, strict=True):
        if box is None:
            continue
        check = faithfulness.check_map(predict, image[..., None], heat, grid=8)
        scores.append(check.score)
        random_scores.append(check.random_score)
    assert np.mean(scores) > np.mean(random_scores) + 0.3
    assert np.mean(scores) > 0.8


def test_an_inverted_map_scores_below_random(tiny_square_model, square_images):
    images, _, boxes = square_images(4, seed=23)
    image, box = images[0][..., None], boxes[0]
    check = faithfulness.check_map(_predictor(tiny_square_model), image, 1.0 - _square_map(box), grid=8)
    assert check.score < check.random_score


def test_curves_are_one_batched_pass_each_and_cancel_between_curves(tiny_square_model, square_images):
    from xray_desktop.progress import Cancelled, Progress

    images, _, boxes = square_images(2, seed=24)
    calls: list[int] = []

    def predict(batch):
        calls.append(len(batch))
        return _predictor(tiny_square_model)(batch)

    faithfulness.check_map(predict, images[0][..., None], _square_map(boxes[0]), steps=10, random_maps=2)
    assert calls == [11] * 6  # deletion + insertion for the map and each of two random maps
    progress = Progress()
    events = []
    progress.on_update = lambda e: (events.append(e), progress.cancel())
    try:
        faithfulness.check_map(predict, images[0][..., None], _square_map(boxes[0]), progress=progress)
    except Cancelled:
        pass
    else:
        raise AssertionError("cancel was not honoured")
    assert len(events) == 1


def test_deletion_masks_remove_blocks_in_map_order():
    heat = np.zeros((4, 4), np.float32)
    heat[0, 0] = 1.0
    order = faithfulness.block_order(heat, grid=4)
    assert order[0] == 0
    image = np.ones((8, 8, 1), np.float32)
    deletion, insertion = faithfulness.curve_inputs(image, order, grid=4, steps=16)
    assert deletion.shape == insertion.shape == (17, 8, 8, 1)
    np.testing.assert_allclose(deletion[0], image)
    np.testing.assert_allclose(insertion[-1], image)
