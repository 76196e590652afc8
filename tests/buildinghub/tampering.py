"""Changing signed or sealed bytes the way an attacker or a bad medium would."""


def flip(data: bytes, bit: int) -> bytes:
    """data with one bit changed."""
    changed = bytearray(data)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)
