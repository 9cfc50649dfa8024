"""恶意评价 — malicious review: bad-faith negative reviews (e.g. competitor review bombing);
an honest bad review of a normal sale is not upheld (docs/product.md)."""

from __future__ import annotations

from chalicelib.domain.buyer_activity import ReviewProfile
from chalicelib.domain.eligibility import has_negative_review
from chalicelib.domain.metrics import REVIEWS
from chalicelib.domain.rules import (
    Case,
    Criterion,
    Rule,
    at_least,
    fixed,
    path,
    ratio,
    upheld_by_other_sellers,
)
from chalicelib.domain.scenario import Exemption, Scenario
from chalicelib.domain.text import Text


def is_negative(review: ReviewProfile) -> bool:
    return review.rating <= 2


def review_pattern(case: Case) -> list[Criterion]:
    """≥ 5 reviews in W, ≥ 60 % of them rated 1–2, across ≥ 3 sellers."""
    t = case.thresholds
    reviews = case.buyer.count("reviews")
    negative = case.buyer.count("reviews", is_negative)
    return [
        at_least("reviews_in_window", reviews, t["review_min_reviews"]),
        at_least("negative_review_ratio", ratio(negative, reviews), t["review_min_negative_ratio"]),
        at_least(
            "sellers_reviewed_negatively",
            len(case.buyer.sellers("reviews", is_negative)),
            t["review_min_sellers"],
        ),
    ]


SCENARIO = Scenario(
    code="malicious_review",
    name=Text("恶意评价", "Malicious review"),
    group="abnormal_buyer",
    dimension="buyer_account",
    description=Text(
        "买家恶意给出差评（如同行恶意差评）",
        "Bad-faith negative reviews, e.g. competitor review bombing",
    ),
    eligibility=(has_negative_review,),
    rule=Rule(
        paths=(
            path("review_pattern", review_pattern),
            path("upheld_by_other_sellers", upheld_by_other_sellers("malicious_review")),
        ),
        upheld_reason="malicious_review_confirmed",
        rejected_reason=fixed("subjective_review_of_normal_sale"),
        rejected_reasons=("subjective_review_of_normal_sale",),
        thresholds={
            "review_min_reviews": 5,
            "review_min_negative_ratio": 0.6,
            "review_min_sellers": 3,
            "other_sellers_upheld": 2,
        },
    ),
    reasons={
        "malicious_review_confirmed": Text(
            "确认买家恶意评价", "Malicious reviews by this buyer confirmed"
        ),
        "subjective_review_of_normal_sale": Text(
            "该评价属于正常交易的主观评价", "The review is a subjective review of a normal sale"
        ),
    },
    exemption=(Exemption(REVIEWS, ("negative_review_rate",)),),
)
