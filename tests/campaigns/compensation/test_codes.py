import re

import pytest

from campaigns.compensation.codes import ALPHABET, BITS, LENGTH, format_code, generate_codes, normalize_code


@pytest.mark.slow
def test_100000_generated_codes_are_distinct_and_well_formed():
    codes = generate_codes(100_000)

    assert len(set(codes)) == 100_000
    assert all(len(code) == LENGTH for code in codes)
    assert set("".join(codes)) <= set(ALPHABET)
    assert not set("01IO") & set("".join(codes))
    assert BITS >= 80


def test_generate_codes_avoids_excluded_codes():
    excluded = set(generate_codes(50))

    assert not set(generate_codes(500, exclude=excluded)) & excluded


def test_code_is_shown_grouped_and_read_back():
    code = generate_codes(1)[0]

    assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", format_code(code))
    assert normalize_code(format_code(code).lower()) == code


def test_every_symbol_is_equally_likely_in_every_position():
    # 80 random bits a code: 32 symbols, each 1/32 of the time at each of the 16 positions.
    codes = generate_codes(32_000)

    for position in range(LENGTH):
        counts = dict.fromkeys(ALPHABET, 0)
        for code in codes:
            counts[code[position]] += 1
        # 1,000 expected per symbol and position (standard deviation 31): 6 of them either side.
        assert min(counts.values()) > 813 and max(counts.values()) < 1_187, (position, counts)
