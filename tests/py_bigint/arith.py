import math, sys
x = 2**100
print(x, -x, x*x, x//7, x%7, -x//7, -x%7, divmod(-x, 7), divmod(x, -13))
print(hash(x), hash(-x), hash(2**61-1), hash(2.0**100))
print(x == 2.0**100, x > 1e30, x < 1e31, 2**63, -2**63, 9223372036854775807 + 1)
print(x >> 3, -x >> 90, x << 5, x & 0xFFFF, x | 1, x ^ (x-1), ~x)
print(x / 3, 10**400 // 10**398, (10**30) / (10**10))
print(float(x), int(float(2**70)), abs(-x), bin(2**70)[:10] if False else 0)
print(f"{x:,}", f"{x:x}", f"{x:_}", f"{-x:>40}", format(x, 'e'))
print((x).bit_length(), (5).bit_length(), (-x).bit_length())
print(pow(3, 200, 10**9+7), pow(3, -1, 7), pow(2, 100, -7), pow(123456789 * 10**12 + 123, 5, 10**30))
print(int("123456789012345678901234567890"), int("-0x" + "f"*30, 16))
print(math.factorial(30), math.comb(100, 50), math.isqrt(10**40), math.gcd(2**100, 6**50))
s = {2**64, 2**65, 3, 2**100, -2**70}
print(s)
d = {2**100: 'a', 1.0: 'b'}
print(d, d[2.0**100])
print(sum([2**62, 2**62, 2**62]), -(-2**63), 2**-2, (-2)**63)
f = 1
for i in range(1, 101): f *= i
print(f)
try:
    float(10**400)
except OverflowError as e: print("OverflowError:", e)
try:
    str(10**5000)
except ValueError as e: print("ValueError:", e)
try:
    int("1"*5000)
except ValueError as e: print("ValueError:", e)
sys.set_int_max_str_digits(0)
print(len(str(10**5000)))
print(math.sqrt(2), math.pi, math.e, math.floor(-2.5), math.ceil(2.1), math.log(1000, 10), math.log(2**1000), math.log2(8), math.log10(10**50))
print(math.fsum([0.1]*10), math.prod([1,2,3,4]), math.hypot(3,4), math.isclose(1.0, 1.0+1e-10), math.trunc(-3.7), math.copysign(1, -0.0))
print(math.inf, -math.inf, math.nan, math.degrees(math.pi), math.radians(180), math.exp(1), math.sin(1), math.atan2(1, 2))
for bad in [lambda: math.sqrt(-1), lambda: math.log(0), lambda: math.factorial(-1), lambda: math.exp(1000), lambda: 1/0, lambda: x/0, lambda: x//0]:
    try: bad()
    except Exception as e: print(type(e).__name__ + ":", e)
print(x == x+0, x is not None, 2**64 - 2**64, type(2**64 - 2**64), (2**64) * 0, 7 * 2**64 // 2**64)
print(round(2**70), max(2**70, 3), min(-2**70, 0), sorted([2**65, 1, -2**65, 2.5]))
print(1e300 < 10**301, 10**301 > 1e300, float('inf') > 10**500, 10**30 == 10.0**30)
