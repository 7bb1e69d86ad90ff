"""The expert draw (专家抽取): eligibility, the verifiable derivation ``zc-draw-v1`` and its evidence pack."""
