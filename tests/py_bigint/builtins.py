import sys
print(hex(255), hex(-255), oct(8), bin(5), bin(-5), hex(2**100), oct(-2**70), bin(0), hex(True))
print("to err", file=sys.stderr)
n = sys.stdout.write("written\n")
print(n, sys.stderr)
sys.stdout.flush()
print("flushed", flush=True)
for bad in [lambda: hex(1.5), lambda: chr(-1), lambda: ord("ab"), lambda: round(2.5), lambda: round(3.5), lambda: round(2.675, 2),
            lambda: round(-0.5), lambda: round(1234.5678, -2), lambda: divmod(-7, 2), lambda: divmod(7.5, -2), lambda: pow(2, -1, 5),
            lambda: format(1234567.891, ",.2f"), lambda: format(42, "08b"), lambda: format(3.14159, "e"), lambda: format("x", "^7"),
            lambda: int("0x1f", 16), lambda: int(" 42 "), lambda: int("z", 36), lambda: int("12", 1), lambda: abs(-3.5), lambda: callable(len),
            lambda: 0.1 + 0.2, lambda: 1e16, lambda: 1/3, lambda: 2.5e-10, lambda: float("nan"), lambda: -0.0, lambda: 1e22, lambda: 123456789.0 * 10]:
    try:
        print(repr(bad()))
    except Exception as e:
        print(type(e).__name__ + ":", e)
