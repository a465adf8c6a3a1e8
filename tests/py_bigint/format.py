vals = [0.1, 1/3, 2.5, -2.5, 1e-7, 123456.789, 1e100, 5e-324, 0.5, 1.5, 2.675, -0.0, 1e15, 1e16, 12345678901234567.0]
for v in vals:
    print(repr(v), str(v), round(v), round(v, 1), round(v, 3), round(v, -1), f"{v:.3g}", f"{v:10.4f}", f"{v:e}", f"{v:%}", f"{v:,.2f}", f"{v:+}", format(v, ''), f"{v:g}")
for n in [0, 7, -7, 255, 2**40, -2**63, 2**64 + 5]:
    print(f"{n:#x} {n:#o} {n:#b} {n:08d} {n:+,} {n:>12} {n:<6}| {n:^9} {n:_x} {n:X} {n:e} {n:.2f} {n:%}", format(n, "c") if 0 <= n < 1000 else "")
print(divmod(7, -2), divmod(-7.5, 2), divmod(2**70, -3), pow(2, 0.5), pow(-8, 1/3) if False else 0, pow(10, -2), 2**-1074)
print(round(0.5), round(1.5), round(-1.5), round(2**70 + 0.0), round(1e300), type(round(2.5, 0)))
print(abs(-2**70), abs(True), chr(65), chr(0x1F600), ord("é"), hash(-1), hash(1.5), hash(-2**62), hash((1, 2**70)))
print(int(-3.9), int(1e20), int("  -0b101 ", 0), int("1_000"), float("1e500"), float("-inf"), 10**20 / 3, 7 // 2.0)
print(max([2**65, 2**66, -1]), min(3, 2**64), sum([1.5, 2**64]), sum(range(10**6)), 3 * 2**64 == 2**64 * 3)
print(1 << 100 >> 99, (-1) >> 1000, ~(2**64), -(2**64) & 0xFF, 2**64 | -1, (2**64) ^ (2**64 + 1))
