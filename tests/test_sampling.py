from video_assets.media.sampling import FramePlan, SamplingPlan, fit_long_side, plans_fingerprint


def test_every_n_frames_and_every_seconds():
    assert SamplingPlan("a", every_n_frames=10).indices(35, 30.0) == [0, 10, 20, 30]
    assert SamplingPlan("b", every_s=0.5).indices(60, 30.0) == [0, 15, 30, 45]
    assert SamplingPlan("c", every_s=0.5).indices(50, 25.0) == [0, 12, 25, 38]


def test_segments_cover_the_video_with_centred_frames():
    plan = SamplingPlan("q", segment_s=2.0, frames_per_segment=2)
    segs = plan.segments(150, 30.0)  # 5 s
    assert [(s, e) for s, e, _ in segs] == [(0.0, 2.0), (2.0, 4.0), (4.0, 5.0)]
    assert segs[0][2] == [15, 45]  # 0.5 s and 1.5 s
    assert segs[2][2] == [127, 142]  # 4.25 s and 4.75 s in a 1 s tail segment


def test_union_keeps_largest_size_and_native_wins():
    a = SamplingPlan("a", every_n_frames=10, max_side=640)
    b = SamplingPlan("b", every_s=1.0, max_side=None)
    c = SamplingPlan("c", every_n_frames=20, max_side=840)
    plan = FramePlan.union([a, b, c], 61, 30.0)
    assert plan.sizes == {0: None, 10: 640, 20: 840, 30: None, 40: 840, 50: 640, 60: None}


def test_fit_long_side_never_upscales_and_keeps_even_dims():
    assert fit_long_side(1080, 1920, 640) == (360, 640)
    assert fit_long_side(1920, 1080, 845) == (844, 476)
    assert fit_long_side(300, 200, 640) == (300, 200)


def test_fingerprint_changes_with_plan():
    a = [SamplingPlan("a", every_s=0.5)]
    assert plans_fingerprint(a) == plans_fingerprint(list(a))
    assert plans_fingerprint(a) != plans_fingerprint([SamplingPlan("a", every_s=1.0)])
