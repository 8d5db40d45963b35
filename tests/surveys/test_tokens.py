"""Ballot tokens (DESIGN §4): 128 random bits; a typed code people can key in from paper."""

from surveys.ballots import tokens


def test_a_token_is_16_random_bytes():
    made = {tokens.new_token() for _ in range(200)}
    assert len(made) == 200
    assert all(len(token) == 16 for token in made)


def test_the_text_form_is_26_crockford_symbols_and_round_trips():
    for token in (bytes(16), b"\xff" * 16, tokens.new_token()):
        text = tokens.encode(token)
        assert len(text) == tokens.CODE_LENGTH
        assert set(text) <= set(tokens.ALPHABET)
        assert tokens.decode(text) == token


def test_the_typed_code_is_grouped_by_four():
    code = tokens.typed_code(b"\x01" * 16)
    assert code.count("-") == 6
    assert all(len(group) == 4 for group in code.split("-")[:-1])
    assert tokens.decode(code) == b"\x01" * 16


def test_decoding_forgives_case_spaces_dashes_full_width_and_look_alikes():
    token = tokens.new_token()
    code = tokens.typed_code(token)
    spaced = code.replace("-", " ").lower()
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in code)
    look_alike = tokens.encode(token).replace("0", "O").replace("1", "l")
    for variant in (spaced, full_width, f"  {code}\n", look_alike, code.replace("1", "I")):
        assert tokens.decode(variant) == token, variant


def test_what_cannot_be_a_token_decodes_to_none():
    too_big = "Z" * tokens.CODE_LENGTH  # 130 bits: more than a token holds
    for text in ("", "ABC", tokens.encode(bytes(16)) + "0", "U" * 26, too_big, None):
        assert tokens.decode(text) is None


def test_only_the_sha256_digest_is_kept():
    token = bytes(range(16))
    assert tokens.digest(token) == (
        "be45cb2605bf36bebde684841a28f0fd43c69850a3dce5fedba69928ee3a8991"
    )
    assert tokens.encode(token) not in tokens.digest(token)
