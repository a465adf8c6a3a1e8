# Every int operator on pairs of small and big ints and floats: CPython's results.
vals = [0, 1, -1, 7, -7, 2**31, 2**63 - 1, -2**63, 2**63, 2**64 + 3, -(2**64) - 5, 3**80, -(5**60), 10**40 + 1, 2**200 - 1, 12345678901234567890123]
fl = [0.5, -2.5, 1e18, 9.3e18, -9.3e18, 1.8446744073709552e19, 1e40, -1e300, float("inf")]
out = []
for a in vals:
    out.append((hash(a), a.bit_length(), hex(a), float(a) if abs(a) < 10**300 else 0, str(a), -a, ~a, abs(a), a >> 7, a << 70, a >> 70))
    for b in vals:
        row = [a + b, a - b, a * b, a & b, a | b, a ^ b, a < b, a == b]
        if b:
            row += [a // b, a % b, divmod(a, b), a / b]
        if 0 < b < 50:
            row += [a ** b if abs(a) < 10**30 else 0, pow(a, b, 10**9 + 7), pow(a, b, -97)]
        out.append(row)
    for f in fl:
        out.append([a < f, a <= f, a == f, a > f, a + f if abs(a) < 10**300 else 0, hash(f) if f != float("inf") else 0])
for x in out:
    print(x)
