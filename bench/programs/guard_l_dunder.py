# The guard's copy of l_dunder.py (bench/guard.py), scaled down for callgrind.
# A class with special methods and a property (issue 21's suite): `v + w` through `__add__`,
# `==` through `__eq__`, `abs(v)` through `__abs__`, a property read, `repr` at the end.
class Vec:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def __add__(self, other):
        return Vec(self.x + other.x, self.y + other.y)

    def __eq__(self, other):
        return self.x == other.x and self.y == other.y

    def __abs__(self):
        return abs(self.x) + abs(self.y)

    @property
    def norm1(self):
        return abs(self)

    def __repr__(self):
        return f"Vec({self.x}, {self.y})"


def main():
    v = Vec(0, 0)
    step = Vec(1, -2)
    same = 0
    total = 0
    for i in range(3_000):
        v = v + step
        if v == step:
            same += 1
        total += v.norm1 % 10
    print(v, same, total)


main()
