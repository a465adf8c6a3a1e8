x = 2**100
print(isinstance(x, int), type(x) is int, type(x), int(x) is x, x.real, str(x)[:5], f"{x}"[:3], "%d" % x, "%x" % x, "{:>5}".format(2**64), [x][0] == x, x in {x}, sorted([x, 1.5]), bool(x), not x, -x < 0 < x)
import math
print(math.factorial(20) == 2432902008176640000, math.floor(2**100 + 0.5), abs(-2**64), round(2**64, -5))
