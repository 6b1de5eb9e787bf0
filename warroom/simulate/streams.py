"""Named random streams: one numpy Generator per (seed, purpose, chunk), so output depends on nothing else.

Each stream is PCG64 seeded from a SeedSequence of the user's seed, a CRC-32 of the purpose's name (stable
across runs and Python versions, unlike hash()) and the chunk number. Changing how many numbers one part
draws never shifts another part's numbers.
"""

import zlib

import numpy as np


def stream(seed: int, purpose: str, chunk: int = 0) -> np.random.Generator:
    key = [seed, zlib.crc32(purpose.encode()), chunk]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(key)))
