#!/usr/bin/env python3
"""Writes the desk's notification chime (src/Gateway/wwwroot/desk/sounds/chime.wav): two soft sine notes, made here so
that no third-party audio ships with the gateway. Run from the repository root: python3 build/sounds/make-chime.py"""
import math
import struct
import wave

RATE = 16000
NOTES = [(880.0, 0.12), (1318.5, 0.22)]  # A5 then E6: short, rising, not alarming

frames = bytearray()
for freq, length in NOTES:
    n = int(RATE * length)
    for i in range(n):
        t = i / RATE
        attack = min(1.0, i / (RATE * 0.005))
        decay = math.exp(-t * 9)
        sample = 0.45 * attack * decay * (math.sin(2 * math.pi * freq * t) + 0.25 * math.sin(4 * math.pi * freq * t))
        frames += struct.pack('<h', int(max(-1.0, min(1.0, sample)) * 32767))

with wave.open('src/Gateway/wwwroot/desk/sounds/chime.wav', 'wb') as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(RATE)
    w.writeframes(bytes(frames))
