"""Text comparison: normalized text and character error rate."""


# -- text helpers ---------------------------------------------------------------------------------
def normalize(text: str) -> str:
    return " ".join(text.lower().split())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edit distance / reference length (of normalized texts)."""
    a, b = normalize(reference), normalize(hypothesis)
    if not a:
        return 0.0 if not b else 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1] / len(a)
