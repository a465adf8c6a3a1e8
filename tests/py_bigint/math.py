import math
print(math.sqrt(2), math.pi, math.e, math.tau, math.inf, -math.inf, math.nan)
print(math.floor(-2.5), math.ceil(2.1), math.floor(7), math.trunc(-3.7), math.floor(1e20))
print(math.isqrt(10**40 + 1), math.gcd(12, 18), math.gcd(), math.gcd(2**100, 6**50), math.lcm(4, 6, 10), math.lcm())
print(math.factorial(0), math.factorial(25), math.comb(52, 5), math.comb(5, 7), math.perm(10, 3), math.perm(5))
print(math.log(1000, 10), math.log(2**1000), math.log(10**400), math.log2(8), math.log2(2**2000), math.log10(10**50), math.log1p(1e-10))
print(math.exp(1), math.exp(-1000), math.sin(1), math.cos(1), math.tan(1), math.asin(0.5), math.acos(0.5), math.atan(1), math.atan2(1, 2))
print(math.hypot(3, 4), math.hypot(1, 2, 3), math.fabs(-2), math.fsum([0.1] * 10), sum([0.1] * 10))
print(math.isclose(1.0, 1.0 + 1e-10), math.isclose(1, 1.1), math.isclose(0, 1e-12, abs_tol=1e-9))
print(math.prod([1, 2, 3, 4]), math.prod([]), math.prod(range(1, 30)), math.prod([1.5, 2], start=2))
print(math.copysign(1, -0.0), math.isfinite(1e308), math.isinf(math.inf), math.isnan(math.nan))
print(math.degrees(math.pi), math.radians(180), math.pow(2, 10), math.fmod(7, 3), math.modf(2.5), math.dist((0, 0), (3, 4)))
for bad in [lambda: math.sqrt(-1), lambda: math.log(0), lambda: math.log(-1, 2), lambda: math.factorial(-1),
            lambda: math.factorial(2.0), lambda: math.exp(1000), lambda: math.isqrt(-1), lambda: math.comb(-1, 2),
            lambda: math.floor(math.inf), lambda: math.floor(math.nan), lambda: math.sqrt("x"), lambda: math.pow(0, -1),
            lambda: math.acos(2), lambda: math.sqrt(), lambda: math.atan2(1)]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__ + ":", e)
print(math.gcd(-4, 6), math.lcm(-4, 6), math.gcd(0, -5), math.lcm(0, 5), math.gcd(2**100, -2**80), math.comb(1000, 500) % 10**9, math.perm(30, 20), math.factorial(100) // math.factorial(98))
print(math.isqrt(0), math.isqrt(99), math.isqrt(2**200), math.floor(-0.5), math.ceil(-0.5), math.trunc(2.9), math.floor(True))
print(math.log(8, 2), math.log(100, 10), math.log10(1000), math.log2(1024), math.log(math.e), math.exp(0), math.log(2**1100, 2))
print(math.sqrt(16), math.sqrt(2**100), math.pow(2, 0.5), math.pow(-2, 3), math.hypot(), math.hypot(-3), math.dist([1, 2, 3], [4, 6, 8]))
print(math.fsum([]), math.fsum([1, 2, 3]), math.prod([2**40, 2**40]), math.prod(["a"], start=1) if False else 0)
print(math.isclose(1e-10, 0), math.isclose(1.0, 1.0000000001), math.isinf(-math.inf), math.copysign(3, -0.0), math.modf(-3.25), math.fmod(-7, 3))
